import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest, type Agent } from 'node:http';
import { mintToken } from '../../src/auth/jwt-verifier.js';
import { JWT_SECRET, MiB, ORGANIZATION_ID, REQUEST_TIMEOUT_MS } from './options.js';

export interface Client {
  agent: Agent;
  port: number;
  token: string;
}

export interface Reply {
  status: number;
  /** Bytes of the response body. */
  bytes: number;
  /** The body, when kept (error answers, and when asked). */
  body?: Buffer;
}

export function send(client: Client, method: string, path: string, headers: Record<string, string>, body?: Buffer, keepBody = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: client.port,
        method,
        path,
        agent: client.agent,
        headers: { authorization: `Bearer ${client.token}`, ...headers, ...(body === undefined ? {} : { 'content-length': String(body.length) }) },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const keep = keepBody || status >= 300;
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (keep) chunks.push(chunk);
        });
        res.once('end', () => resolve({ status, bytes, ...(keep ? { body: Buffer.concat(chunks) } : {}) }));
        res.once('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}

export interface Multipart {
  body: Buffer;
  contentType: string;
}

/** A PDF (`%PDF-1.4\n` then random bytes) of `bytes` bytes, as the upload form: type, title, file. */
export function uploadForm(bytes: number): Multipart {
  const boundary = `docstore-bench-${randomBytes(12).toString('hex')}`;
  const head =
    `--${boundary}\r\ncontent-disposition: form-data; name="type"\r\n\r\ninvoice\r\n` +
    `--${boundary}\r\ncontent-disposition: form-data; name="title"\r\n\r\nBench invoice ${bytes / MiB} MiB\r\n` +
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="bench.pdf"\r\ncontent-type: application/pdf\r\n\r\n`;
  const file = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(bytes - 9)]);
  return { body: Buffer.concat([Buffer.from(head), file, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

export function upload(client: Client, buildingId: string, form: Multipart, keepBody = false): Promise<Reply> {
  return send(client, 'POST', `/api/v1/buildings/${buildingId}/documents`, { 'content-type': form.contentType }, form.body, keepBody);
}

/** Registers a building (uploads go only into registered ones) and returns its id, or throws with the server's answer. */
export async function registerBuilding(client: Client): Promise<string> {
  const id = randomUUID();
  const reply = await send(client, 'POST', '/api/v1/buildings', { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ id, name: `Bench ${id.slice(0, 8)}` })), true);
  if (reply.status !== 201) throw new Error(`registering a building answered ${reply.status}: ${reply.body?.toString('utf8') ?? ''}`);
  return id;
}

/** Uploads and returns the new document's id, or throws with the server's answer. */
export async function uploadChecked(client: Client, buildingId: string, form: Multipart, fileBytes: number): Promise<string> {
  const reply = await upload(client, buildingId, form, true);
  const text = reply.body?.toString('utf8') ?? '';
  const document = (reply.status === 201 ? JSON.parse(text) : {}) as { id?: string; size?: number; mimeType?: string };
  if (document.id === undefined || document.size !== fileBytes || document.mimeType !== 'application/pdf') {
    throw new Error(`upload answered ${reply.status}: ${text.slice(0, 500)}`);
  }
  return document.id;
}

export function token(): Promise<string> {
  return mintToken(Buffer.from(JWT_SECRET), { sub: 'bench-syndic', org: ORGANIZATION_ID, role: 'syndic', ttlSeconds: 3600 });
}

export async function drain(stream: NodeJS.ReadableStream): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) bytes += chunk.length;
  return bytes;
}
