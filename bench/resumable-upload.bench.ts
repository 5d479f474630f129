/**
 * `npm run bench:tus` (and the last table of `npm run bench:api`): one 50 MiB PDF uploaded through
 * tus (`/api/v1/uploads`, 5 MiB PATCHes) against the multipart POST, alternated in the same run, on
 * local storage and on RGW (the S3_TEST_* endpoint, a fresh bucket emptied and removed afterwards;
 * SQLite beside both). Prints the median of `BENCH_TUS_RUNS` (default 3) for each, their ratio
 * (target ≤ 1.25) and the peak RSS growth of the process over a baseline taken after one warm-up
 * upload of each kind (server and client share the process here; the client streams the file from
 * disk).
 * `BENCH_TUS_MIB` sets the size (default 50); `BENCH_TUS_STORAGE=local` (or `RGW`) measures that one only.
 */
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PassThrough } from 'node:stream';
import { mintToken } from '../src/auth/jwt-verifier.js';
import { loadConfig } from '../src/config.js';
import { createService } from '../src/http/server.js';
import { s3Environment, s3TargetOf } from './support/bench-services.js';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_TUS_MIB ?? 50) * MiB;
const CHUNK = 5 * MiB;
const RUNS = Number(process.env.BENCH_TUS_RUNS ?? 3);
const STORAGE = process.env.BENCH_TUS_STORAGE?.toLowerCase();
const JWT_SECRET = `docstore-bench-jwt-secret-${randomBytes(16).toString('hex')}`;
const ORGANIZATION_ID = randomUUID();

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(base: string, method: string, path: string, headers: Record<string, string>, body?: NodeJS.ReadableStream | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(path, base), { method, headers }, (response) => {
      const pieces: Buffer[] = [];
      response.on('data', (piece: Buffer) => pieces.push(piece));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(pieces).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    if (body === undefined) request.end();
    else if (Buffer.isBuffer(body)) request.end(body);
    else body.pipe(request);
  });
}

function expectStatus(what: string, reply: Reply, status: number): Reply {
  if (reply.status !== status) throw new Error(`${what} answered ${reply.status}: ${reply.body}`);
  return reply;
}

/** A PDF of SIZE bytes on disk (a header, then random bytes). */
function pdfFile(dir: string): string {
  const path = join(dir, 'bench.pdf');
  writeFileSync(path, Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(SIZE - 9)]));
  return path;
}

async function multipart(base: string, auth: Record<string, string>, building: string, file: string): Promise<void> {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\ninvoice\r\n--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBench\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = new PassThrough();
  body.write(head);
  createReadStream(file).on('end', () => body.end(tail)).pipe(body, { end: false });
  const headers = { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + SIZE + tail.length) };
  expectStatus('multipart upload', await send(base, 'POST', `/api/v1/buildings/${building}/documents`, headers, body), 201);
}

async function tus(base: string, auth: Record<string, string>, building: string, file: string): Promise<void> {
  const metadata = Object.entries({ building, type: 'invoice', title: 'Bench', filename: 'bench.pdf' }).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
  const created = expectStatus('tus creation', await send(base, 'POST', '/api/v1/uploads', { ...auth, 'tus-resumable': '1.0.0', 'upload-length': String(SIZE), 'upload-metadata': metadata }), 201);
  const location = new URL(String(created.headers.location), `${base}/api/v1/uploads`).pathname;
  for (let offset = 0; offset < SIZE; offset += CHUNK) {
    const end = Math.min(offset + CHUNK, SIZE);
    const headers = { ...auth, 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'content-length': String(end - offset) };
    expectStatus('tus PATCH', await send(base, 'PATCH', location, headers, createReadStream(file, { start: offset, end: end - 1 })), 204);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** One storage's row: medians in milliseconds, their ratio, the peak RSS growth in bytes. */
export interface ResumableUploadRow {
  storage: string;
  multipartMs: number;
  tusMs: number;
  ratio: number;
  peakGrowthBytes: number;
}

async function measure(name: string, env: Record<string, string>, file: string): Promise<ResumableUploadRow> {
  const dataDir = await mkdtemp(join(tmpdir(), 'docstore-bench-tus-'));
  const config = loadConfig({ DOCSTORE_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, MAX_UPLOAD_BYTES: String(SIZE * 2), ...env });
  const service = await createService(config, { logger: false });
  try {
    const base = await service.app.listen({ host: '127.0.0.1', port: 0 });
    const token = await mintToken(Buffer.from(JWT_SECRET), { sub: 'bench-syndic', org: ORGANIZATION_ID, role: 'syndic', ttlSeconds: 3600 });
    const auth = { authorization: `Bearer ${token}` };
    const id = randomUUID();
    expectStatus('building', await send(base, 'POST', '/api/v1/buildings', { ...auth, 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ id, name: 'Bench' }))), 201);
    // One of each first: the process's warm-up (code loaded, heap grown) is not the uploads' memory.
    await multipart(base, auth, id, file);
    await tus(base, auth, id, file);
    globalThis.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
    const times = { multipart: [] as number[], tus: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      for (const kind of ['multipart', 'tus'] as const) {
        const started = process.hrtime.bigint();
        await (kind === 'tus' ? tus : multipart)(base, auth, id, file);
        times[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    clearInterval(sampler);
    const [m, t] = [median(times.multipart), median(times.tus)];
    return { storage: name, multipartMs: m, tusMs: t, ratio: t / m, peakGrowthBytes: peak - baseline };
  } finally {
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Removes what the run left in its bucket (the documents uploaded), then the bucket. */
async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key as string }));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** Measures tus against the multipart POST on local storage, then on RGW. */
export async function benchResumableUploads(): Promise<ResumableUploadRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'docstore-bench-tus-file-'));
  const file = pdfFile(dir);
  const s3 = s3Environment('tus');
  try {
    const target = s3TargetOf(s3.env);
    const bucket = `bench-tus-${randomBytes(4).toString('hex')}`;
    await target.client.send(new CreateBucketCommand({ Bucket: bucket }));
    try {
      const rows: ResumableUploadRow[] = [];
      if (STORAGE !== 'rgw') rows.push(await measure('local', {}, file));
      if (STORAGE === 'local') return rows;
      rows.push(
        await measure('RGW', {
          STORAGE_BACKEND: 's3',
          S3_ENDPOINT: target.endpoint,
          S3_BUCKET: bucket,
          S3_REGION: target.region,
          S3_ACCESS_KEY: s3.env.S3_TEST_ACCESS_KEY as string,
          S3_SECRET_KEY: s3.env.S3_TEST_SECRET_KEY as string,
          S3_USE_PATH_STYLE: String(target.forcePathStyle),
        }, file),
      );
      return rows;
    } finally {
      await removeBucket(target.client, bucket);
      target.client.destroy();
    }
  } finally {
    s3.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table of `benchResumableUploads`' rows. */
export function resumableUploadTable(rows: readonly ResumableUploadRow[]): string[] {
  return [
    `| ${SIZE / MiB} MiB, median of ${RUNS} | multipart POST | tus, ${CHUNK / MiB} MiB PATCHes | tus / multipart (≤ 1.25) | peak RSS growth (MiB) |`,
    '|---|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row.storage} | ${(row.multipartMs / 1000).toFixed(2)} s | ${(row.tusMs / 1000).toFixed(2)} s | ${row.ratio.toFixed(2)} | ${(row.peakGrowthBytes / MiB).toFixed(0)} |`),
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchResumableUploads();
  console.log(`${SIZE / MiB} MiB, tus in ${CHUNK / MiB} MiB PATCHes vs one multipart POST, alternated, median of ${RUNS}; server and client in one process`);
  for (const line of resumableUploadTable(rows)) console.log(line);
}
