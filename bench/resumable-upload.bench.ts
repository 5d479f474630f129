/**
 * `npm run bench:tus` (and the last table of `npm run bench:api`): one 50 MiB PDF uploaded through
 * tus (`/api/v1/uploads`, 5 MiB PATCHes) against the multipart POST, alternated in the same run, on
 * local storage and on RGW (the S3_TEST_* endpoint, a fresh bucket emptied and removed afterwards;
 * SQLite beside both). Prints the median of `BENCH_TUS_RUNS` (default 7) for each, their ratio
 * (target ≤ 1.25) and the peak RSS growth of the servers' process over a baseline taken after one
 * warm-up upload of each kind. The client runs in a child process of its own (`tus/upload-client.ts`,
 * streaming the file from disk), as a browser or the property-management application would: until
 * stop 27 it shared the servers' process, whose event loop and garbage collector then also ran the
 * client's reads and sends, which made each upload slower and the local ratio higher and noisier.
 * `BENCH_TUS_MIB` sets the size (default 50); `BENCH_TUS_STORAGE=local` (or `RGW`) measures that one only.
 *
 * Alternated with them, the protocol floor (`bench/tus/floor-server.ts`): a plain `node:http` server
 * storing the same file on the same storage with no docstore module, by one POST and by tus-like
 * sequential PATCHes each answered once its bytes are stored, through the same client. Its
 * tus / POST ratio is what the protocol itself costs (round trips in sequence, each waiting for its
 * part to be stored); docstore / floor is what docstore adds. On RGW a second floor also copies the
 * completed object onto another key and deletes it, as docstore does with both kinds of upload.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  ListMultipartUploadsCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mintToken } from '../src/auth/jwt-verifier.js';
import { loadConfig } from '../src/config.js';
import { createService } from '../src/http/server.js';
import { s3Environment, s3TargetOf } from './support/bench-services.js';
import { listenFloor } from './tus/floor-server.js';
import type { FloorStore } from './tus/floor-store.js';
import { LocalFloorStore } from './tus/local-floor-store.js';
import { S3FloorStore } from './tus/s3-floor-store.js';
import { expectStatus, send, UploadClient, type Upload } from './tus/upload-client.js';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_TUS_MIB ?? 50) * MiB;
const CHUNK = 5 * MiB;
const RUNS = Number(process.env.BENCH_TUS_RUNS ?? 7);
const STORAGE = process.env.BENCH_TUS_STORAGE?.toLowerCase();
const JWT_SECRET = `docstore-bench-jwt-secret-${randomBytes(16).toString('hex')}`;
const ORGANIZATION_ID = randomUUID();

/** A PDF of SIZE bytes on disk (a header, then random bytes). */
function pdfFile(dir: string): string {
  const path = join(dir, 'bench.pdf');
  writeFileSync(path, Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(SIZE - 9)]));
  return path;
}

/** A floor server and the store behind it, for one storage's measurement. */
interface Floor {
  name: string;
  base: string;
  store: FloorStore;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** One storage's row: medians in milliseconds, their ratio, the peak RSS growth in bytes, and the floors' medians. */
export interface ResumableUploadRow {
  storage: string;
  multipartMs: number;
  tusMs: number;
  ratio: number;
  peakGrowthBytes: number;
  floors: { name: string; postMs: number; tusMs: number }[];
}

async function measure(name: string, env: Record<string, string>, file: string, floorStores: { name: string; store: FloorStore }[], client: UploadClient): Promise<ResumableUploadRow> {
  const dataDir = await mkdtemp(join(tmpdir(), 'docstore-bench-tus-'));
  const servers = await Promise.all(floorStores.map(async ({ store }) => listenFloor(store)));
  const floors: Floor[] = floorStores.map(({ name: floorName, store }, index) => ({ name: floorName, store, base: (servers[index] as { base: string }).base }));
  const config = loadConfig({ DOCSTORE_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, MAX_UPLOAD_BYTES: String(SIZE * 2), ...env });
  const service = await createService(config, { logger: false });
  try {
    const base = await service.app.listen({ host: '127.0.0.1', port: 0 });
    const token = await mintToken(Buffer.from(JWT_SECRET), { sub: 'bench-syndic', org: ORGANIZATION_ID, role: 'syndic', ttlSeconds: 3600 });
    const auth = { authorization: `Bearer ${token}` };
    const id = randomUUID();
    expectStatus('building', await send(base, 'POST', '/api/v1/buildings', { ...auth, 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ id, name: 'Bench' }))), 201);
    // One of each first: the process's warm-up (code loaded, heap grown) is not the uploads' memory.
    // Each kind once: the floors' warm-up too, and their part buffers allocated before the baseline.
    const metadata = Object.entries({ building: id, type: 'invoice', title: 'Bench', filename: 'bench.pdf' }).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
    const kinds: { name: string; upload: Upload; floor?: Floor }[] = [
      { name: 'multipart', upload: { kind: 'multipart', base, path: `/api/v1/buildings/${id}/documents`, headers: auth, file, size: SIZE } },
      { name: 'tus', upload: { kind: 'tus', base, path: '/api/v1/uploads', headers: { ...auth, 'upload-metadata': metadata }, file, size: SIZE, chunk: CHUNK } },
      ...floors.flatMap((floor): { name: string; upload: Upload; floor: Floor }[] => [
        { name: `${floor.name} POST`, upload: { kind: 'raw', base: floor.base, path: '/floor/documents', headers: { 'content-type': 'application/pdf' }, file, size: SIZE }, floor },
        { name: `${floor.name} tus`, upload: { kind: 'tus', base: floor.base, path: '/floor/uploads', headers: {}, file, size: SIZE, chunk: CHUNK }, floor },
      ]),
    ];
    for (const kind of kinds) {
      await client.run(kind.upload);
      await kind.floor?.store.clean();
    }
    globalThis.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    // Sampled while docstore's uploads run only: the floors' memory is not docstore's.
    let sampling = false;
    const sampler = setInterval(() => (peak = sampling ? Math.max(peak, process.memoryUsage.rss()) : peak), 5);
    const times = new Map<string, number[]>(kinds.map((kind) => [kind.name, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const kind of kinds) {
        sampling = kind.floor === undefined;
        times.get(kind.name)?.push(await client.run(kind.upload));
        sampling = false;
        await kind.floor?.store.clean();
      }
    }
    clearInterval(sampler);
    const medianOf = (kind: string) => median(times.get(kind) ?? []);
    const [m, t] = [medianOf('multipart'), medianOf('tus')];
    const floorRows = floors.map((floor) => ({ name: floor.name, postMs: medianOf(`${floor.name} POST`), tusMs: medianOf(`${floor.name} tus`) }));
    return { storage: name, multipartMs: m, tusMs: t, ratio: t / m, peakGrowthBytes: peak - baseline, floors: floorRows };
  } finally {
    await Promise.all(servers.map((server) => server.close()));
    await Promise.all(floors.map((floor) => floor.store.clean()));
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Removes what the run left in its bucket (unfinished multipart uploads, the documents uploaded), then the bucket. */
async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  const unfinished = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const upload of unfinished.Uploads ?? []) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
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
  const client = await UploadClient.start();
  try {
    const target = s3TargetOf(s3.env);
    const bucket = `bench-tus-${randomBytes(4).toString('hex')}`;
    await target.client.send(new CreateBucketCommand({ Bucket: bucket }));
    try {
      const rows: ResumableUploadRow[] = [];
      if (STORAGE !== 'rgw') rows.push(await measure('local', {}, file, [{ name: 'floor', store: await LocalFloorStore.open(join(dir, 'floor')) }], client));
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
        }, file, [
          { name: 'floor', store: new S3FloorStore(target.client, bucket, 'floor/', false) },
          { name: 'floor + copy', store: new S3FloorStore(target.client, bucket, 'floor-copy/', true) },
        ], client),
      );
      return rows;
    } finally {
      await removeBucket(target.client, bucket);
      target.client.destroy();
    }
  } finally {
    client.close();
    s3.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * The tables of `benchResumableUploads`' rows, one per storage: docstore's row (the target is its
 * tus / multipart ratio), each floor's, then docstore / floor for both kinds of upload.
 */
export function resumableUploadTable(rows: readonly ResumableUploadRow[]): string[] {
  return rows.flatMap((row, index) => [
    ...(index === 0 ? [] : ['']),
    `| ${row.storage}, ${SIZE / MiB} MiB, median of ${RUNS} | multipart POST | tus, ${CHUNK / MiB} MiB PATCHes | tus / POST (docstore ≤ 1.25) | peak RSS growth (MiB) |`,
    '|---|---:|---:|---:|---:|',
    `| docstore | ${seconds(row.multipartMs)} | ${seconds(row.tusMs)} | ${row.ratio.toFixed(2)} | ${(row.peakGrowthBytes / MiB).toFixed(0)} |`,
    ...row.floors.map((floor) => `| ${floor.name} | ${seconds(floor.postMs)} | ${seconds(floor.tusMs)} | ${(floor.tusMs / floor.postMs).toFixed(2)} | |`),
    ...row.floors.map((floor) => `| docstore / ${floor.name} | ${(row.multipartMs / floor.postMs).toFixed(2)} | ${(row.tusMs / floor.tusMs).toFixed(2)} | | |`),
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchResumableUploads();
  console.log(`${SIZE / MiB} MiB, tus in ${CHUNK / MiB} MiB PATCHes vs one multipart POST, alternated with the floor servers' (bench/tus/), median of ${RUNS}; the client in a child process`);
  for (const line of resumableUploadTable(rows)) console.log(line);
}
