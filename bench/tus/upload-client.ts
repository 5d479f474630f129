import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';

/**
 * The client of `bench:tus`, in a child process of its own: the server's process (docstore's or a
 * floor's) then runs the server only, as in a deployment, and its event loop, garbage collector and
 * resident size are not the client's. The parent asks for one upload at a time (`UploadClient.run`)
 * and gets the time the child measured for it.
 */
export type Upload =
  /** The whole file as the `file` part of a multipart POST, with `type` and `title` fields. */
  | { kind: 'multipart'; base: string; path: string; headers: Record<string, string>; file: string; size: number }
  /** The whole file as the raw body of one POST. */
  | { kind: 'raw'; base: string; path: string; headers: Record<string, string>; file: string; size: number }
  /** A tus creation at `path`, then `chunk`-byte PATCHes one after the other. */
  | { kind: 'tus'; base: string; path: string; headers: Record<string, string>; file: string; size: number; chunk: number };

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class UploadClient {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<UploadClient> {
    const child = fork(fileURLToPath(import.meta.url), ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('error', reject);
    });
    return new UploadClient(child);
  }

  /** Runs one upload in the child; answers its time in milliseconds. */
  run(upload: Upload): Promise<number> {
    return new Promise((resolve, reject) => {
      this.child.once('message', (message: { ms?: number; error?: string }) => (message.error === undefined ? resolve(message.ms ?? Number.NaN) : reject(new Error(message.error))));
      this.child.send(upload);
    });
  }

  close(): void {
    this.child.kill();
  }
}

/** One request; its answer read whole. */
export function send(base: string, method: string, path: string, headers: Record<string, string>, body?: NodeJS.ReadableStream | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(path, base), { method, headers }, (response) => {
      const pieces: Buffer[] = [];
      response.on('data', (piece: Buffer) => pieces.push(piece));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(pieces).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    if (body === undefined || Buffer.isBuffer(body)) request.end(body);
    else body.pipe(request);
  });
}

export function expectStatus(what: string, reply: Reply, status: number): Reply {
  if (reply.status !== status) throw new Error(`${what} answered ${reply.status}: ${reply.body}`);
  return reply;
}

async function upload(job: Upload): Promise<void> {
  if (job.kind === 'raw') {
    expectStatus('raw POST', await send(job.base, 'POST', job.path, { ...job.headers, 'content-length': String(job.size) }, createReadStream(job.file)), 201);
  } else if (job.kind === 'multipart') {
    const boundary = `bench${randomBytes(8).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\ninvoice\r\n--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBench\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const body = new PassThrough();
    body.write(head);
    createReadStream(job.file).on('end', () => body.end(tail)).pipe(body, { end: false });
    const headers = { ...job.headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + job.size + tail.length) };
    expectStatus('multipart upload', await send(job.base, 'POST', job.path, headers, body), 201);
  } else {
    const created = expectStatus('tus creation', await send(job.base, 'POST', job.path, { ...job.headers, 'tus-resumable': '1.0.0', 'upload-length': String(job.size) }), 201);
    const location = new URL(String(created.headers.location), `${job.base}${job.path}`).pathname;
    for (let offset = 0; offset < job.size; offset += job.chunk) {
      const end = Math.min(offset + job.chunk, job.size);
      const headers = { ...job.headers, 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'content-length': String(end - offset) };
      expectStatus('tus PATCH', await send(job.base, 'PATCH', location, headers, createReadStream(job.file, { start: offset, end: end - 1 })), 204);
    }
  }
}

if (process.argv.includes('--child') && process.send !== undefined) {
  process.on('message', (job: Upload) => {
    const started = process.hrtime.bigint();
    upload(job).then(
      () => process.send?.({ ms: Number(process.hrtime.bigint() - started) / 1e6 }),
      (error: unknown) => process.send?.({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.send('ready');
}
