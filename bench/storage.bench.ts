/**
 * `npm run bench:storage`: put and get latency of each adapter against a baseline measured in the
 * same run (plain node:fs for local, a bare SDK PutObject/GetObject for S3), with the process CPU
 * time each took, and the RSS growth of a 50 MiB streamed put. Local puts are measured for a body
 * in memory and for a streamed one (64 KiB chunks, as an upload arrives). S3 runs against the
 * project's Ceph RGW (or S3_TEST_* if set).
 * Client-side encryption: each adapter with `EncryptingObjectStorage` around it against the same
 * adapter unencrypted (put, get, and a 64 KiB range read from a 50 MiB object).
 * `npm run bench:storage -- local|s3|encryption|encryption-local|encryption-s3` runs one part.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { EncryptingObjectStorage } from '../src/storage/encryption/encrypting-object-storage.js';
import { LocalObjectStorage } from '../src/storage/local/local-object-storage.js';
import { MasterKeyring } from '../src/storage/encryption/master-keyring.js';
import type { ObjectStorage } from '../src/storage/object-storage.js';
import { createS3Client } from '../src/storage/s3/s3-client.js';
import { S3ObjectStorage } from '../src/storage/s3/s3-object-storage.js';

const MiB = 1024 * 1024;
const SIZES = [
  { bytes: MiB, runs: Number(process.env.BENCH_RUNS_1MIB ?? 41) },
  { bytes: 50 * MiB, runs: Number(process.env.BENCH_RUNS_50MIB ?? 9) },
];
const script = new URL('../scripts/services/s3.sh', import.meta.url).pathname;

interface Row {
  adapter: string;
  operation: string;
  size: string;
  baselineMs: number;
  adapterMs: number;
  /** Process CPU time (user + system, every thread), median per run. */
  baselineCpuMs: number;
  adapterCpuMs: number;
}

type Step = (iteration: number) => Promise<void>;

async function drain(stream: NodeJS.ReadableStream): Promise<void> {
  for await (const _chunk of stream as AsyncIterable<unknown>);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

type Timing = Pick<Row, 'baselineMs' | 'adapterMs' | 'baselineCpuMs' | 'adapterCpuMs'>;

/** Runs baseline and adapter alternately (after warm-up), so that drift hits both alike; medians of wall and CPU time. */
async function compare(runs: number, baseline: Step, adapter: Step): Promise<Timing> {
  const wall: [number[], number[]] = [[], []];
  const cpu: [number[], number[]] = [[], []];
  const steps = [baseline, adapter];
  for (let i = -2; i < runs; i++) {
    for (const which of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await (steps[which] as Step)(i);
      if (i < 0) continue;
      wall[which]?.push(performance.now() - started);
      const used = process.cpuUsage(cpuBefore);
      cpu[which]?.push((used.user + used.system) / 1000);
    }
  }
  return { baselineMs: median(wall[0]), adapterMs: median(wall[1]), baselineCpuMs: median(cpu[0]), adapterCpuMs: median(cpu[1]) };
}

/** RSS growth in MiB while `work` runs, sampled every 2 ms, after a GC. */
async function rssGrowth(work: () => Promise<void>): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return (peak - before) / MiB;
}

/** Writes `path` the durable way: `write` fills a temporary file; then fsync, rename, fsync the directory. */
async function durably(directory: string, path: string, run: number, write: (temp: string) => Promise<unknown>): Promise<void> {
  const temp = `${path}.${run}.tmp`;
  await write(temp);
  const handle = await open(temp, 'r+');
  await handle.sync();
  await handle.close();
  await rename(temp, path);
  const parent = await open(directory, constants.O_RDONLY | constants.O_DIRECTORY);
  await parent.sync();
  await parent.close();
}

/** Bytes in memory as a stream of 64 KiB chunks, as a socket would deliver them. */
function slicesOf(bytes: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += 64 * 1024) yield bytes.subarray(offset, offset + 64 * 1024);
    })(),
  );
}

/** A stream of `bytes` bytes of unknown length, generated chunk by chunk (nothing held in memory). */
function generated(bytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) {
        this.push(null);
        return;
      }
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, bytes - sent)).fill(sent & 0xff);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

async function benchLocal(rows: Row[], rss: RssRow[]): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'docstore-bench-'));
  const storage = await LocalObjectStorage.open({ root: join(base, 'objects') });
  try {
    for (const { bytes, runs } of SIZES) {
      const body = randomBytes(bytes);
      const plain = join(base, 'plain');
      // Baseline: the durable write any careful code needs: write, fsync, rename, fsync the directory.
      const put = await compare(
        runs,
        (i) => durably(base, plain, i, (temp) => writeFile(temp, body, { mode: 0o600 })),
        async () => {
          await storage.put('bench/object', body);
        },
      );
      rows.push({ adapter: 'local', operation: 'put', size: label(bytes), ...put });
      const get = await compare(
        runs,
        async () => drain(createReadStream(plain)),
        async () => drain((await storage.get('bench/object')).body),
      );
      rows.push({ adapter: 'local', operation: 'get', size: label(bytes), ...get });
      // A body that arrives as a stream (an HTTP upload): piped into an fs.WriteStream, made durable alike.
      const streamed = await compare(
        runs,
        (i) => durably(base, plain, i, (temp) => pipeline(slicesOf(body), createWriteStream(temp, { mode: 0o600 }))),
        async () => void (await storage.put('bench/object', slicesOf(body))),
      );
      rows.push({ adapter: 'local', operation: 'put (stream)', size: label(bytes), ...streamed });
    }
    rss.push(measureRssInChild('local', {}));
    if (only === undefined || only.startsWith('encryption')) {
      await benchEncryption(rows, 'local', storage);
      rss.push(measureRssInChild('local-encrypted', {}));
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

/** An S3 client for the S3_TEST_* settings (the project's RGW or the user's endpoint). */
function s3ClientFrom(env: Record<string, string | undefined>) {
  return createS3Client({
    endpoint: env.S3_TEST_ENDPOINT as string,
    region: env.S3_TEST_REGION || 'us-east-1',
    accessKeyId: env.S3_TEST_ACCESS_KEY as string,
    secretAccessKey: env.S3_TEST_SECRET_KEY as string,
    forcePathStyle: env.S3_TEST_PATH_STYLE !== 'false',
  });
}

async function benchS3(rows: Row[], rss: RssRow[], env: Record<string, string>): Promise<void> {
  const client = s3ClientFrom(env);
  const bucket = env.S3_TEST_BUCKET as string;
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
  const storage: ObjectStorage = new S3ObjectStorage({ client, bucket, keyPrefix: 'bench/' });
  for (const { bytes, runs } of SIZES) {
    const body = randomBytes(bytes);
    const put = await compare(
      runs,
      async () => {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'baseline/object', Body: body, ContentLength: bytes }));
      },
      async () => {
        await storage.put('object', body);
      },
    );
    rows.push({ adapter: 's3 (RGW)', operation: 'put', size: label(bytes), ...put });
    const get = await compare(
      runs,
      async () => drain((await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'baseline/object' }))).Body as Readable),
      async () => drain((await storage.get('object')).body),
    );
    rows.push({ adapter: 's3 (RGW)', operation: 'get', size: label(bytes), ...get });
    // A body that arrives as a stream (an HTTP upload): a bare lib-storage Upload of the same chunks,
    // same part size and queue, against the adapter (multipart to a temporary key, then the copy
    // into place that adds the SHA-256).
    const streamed = await compare(
      runs,
      async () => void (await new Upload({ client, params: { Bucket: bucket, Key: 'baseline/streamed', Body: slicesOf(body) }, partSize: 5 * MiB, queueSize: 2 }).done()),
      async () => void (await storage.put('streamed', slicesOf(body))),
    );
    rows.push({ adapter: 's3 (RGW)', operation: 'put (stream)', size: label(bytes), ...streamed });
  }
  if (only === undefined || only.startsWith('encryption')) await benchEncryption(rows, 's3 (RGW)', storage);
  client.destroy();
  rss.push(measureRssInChild('s3', env));
}

/** The same storage with and without client-side encryption: put, get and a 64 KiB range read. */
async function benchEncryption(rows: Row[], name: string, plain: ObjectStorage): Promise<void> {
  const encrypted = new EncryptingObjectStorage(plain, new MasterKeyring([{ id: 'bench', key: randomBytes(32) }], 'bench'));
  for (const { bytes, runs } of SIZES) {
    const body = randomBytes(bytes);
    const put = await compare(
      runs,
      async () => void (await plain.put('enc-bench/plain', body)),
      async () => void (await encrypted.put('enc-bench/encrypted', body)),
    );
    rows.push({ adapter: `encryption(${name}) vs ${name}`, operation: 'put', size: label(bytes), ...put });
    const get = await compare(
      runs,
      async () => drain((await plain.get('enc-bench/plain')).body),
      async () => drain((await encrypted.get('enc-bench/encrypted')).body),
    );
    rows.push({ adapter: `encryption(${name}) vs ${name}`, operation: 'get', size: label(bytes), ...get });
  }
  // The last objects written are the 50 MiB ones: read 64 KiB at the same pseudo-random offsets from both.
  const last = SIZES[SIZES.length - 1] as { bytes: number; runs: number };
  const offset = (i: number) => ((i + 3) * 7_919_113) % (last.bytes - 64 * 1024);
  const range = await compare(
    Number(process.env.BENCH_RUNS_RANGE ?? 41),
    async (i) => drain((await plain.get('enc-bench/plain', { range: { start: offset(i), end: offset(i) + 64 * 1024 - 1 } })).body),
    async (i) => drain((await encrypted.get('enc-bench/encrypted', { range: { start: offset(i), end: offset(i) + 64 * 1024 - 1 } })).body),
  );
  rows.push({ adapter: `encryption(${name}) vs ${name}`, operation: 'range 64 KiB', size: label(last.bytes), ...range });
  await plain.deleteMany(['enc-bench/plain', 'enc-bench/encrypted']);
}

function label(bytes: number): string {
  return `${bytes / MiB} MiB`;
}

function s3Environment(): { env: Record<string, string>; stop: () => void } {
  if (process.env.S3_TEST_ENDPOINT) return { env: process.env as Record<string, string>, stop: () => undefined };
  const stateDir = join(tmpdir(), `docstore-bench-rgw-${process.pid}`);
  const output = execFileSync('bash', [script, 'start'], { env: { ...process.env, DOCSTORE_S3_STATE_DIR: stateDir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1] as string] = match[2] as string;
  }
  return { env, stop: () => execFileSync('bash', [script, 'stop'], { env: { ...process.env, DOCSTORE_S3_STATE_DIR: stateDir }, stdio: 'inherit' }) };
}

type RssRow = { adapter: string; baseline: [number, number]; ours: [number, number] };

/**
 * RSS growth of a streamed put of 50 and 200 MiB, each in a fresh process (a process that already
 * handled large buffers keeps their pages), for the adapter and for its baseline: a plain
 * `fs.createWriteStream` pipe for local, a bare lib-storage `Upload` with the same part size and
 * queue for S3.
 */
function measureRssInChild(adapter: 'local' | 's3' | 'local-encrypted', env: Record<string, string>): RssRow {
  const measure = (mode: string, mib: number) => {
    const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', new URL(import.meta.url).pathname, `rss-${adapter}`, mode], {
      env: { ...process.env, ...env, BENCH_RSS_MIB: String(mib) },
      encoding: 'utf8',
    });
    return Number(output.trim().split('\n').pop());
  };
  return {
    adapter: { local: 'local', s3: 's3 (RGW)', 'local-encrypted': 'encryption(local) vs local adapter' }[adapter],
    baseline: [measure('baseline', 50), measure('baseline', 200)],
    ours: [measure('adapter', 50), measure('adapter', 200)],
  };
}

async function rssChild(adapter: 'local' | 's3' | 'local-encrypted', mode: string): Promise<void> {
  const bytes = Number(process.env.BENCH_RSS_MIB) * MiB;
  let work: () => Promise<void>;
  let cleanup = async () => {};
  if (adapter === 'local-encrypted') {
    const base = await mkdtemp(join(tmpdir(), 'docstore-bench-rss-'));
    const local = await LocalObjectStorage.open({ root: join(base, 'objects') });
    const storage = mode === 'baseline' ? local : new EncryptingObjectStorage(local, new MasterKeyring([{ id: 'bench', key: randomBytes(32) }], 'bench'));
    cleanup = () => rm(base, { recursive: true, force: true });
    work = async () => void (await storage.put('streamed', generated(bytes)));
  } else if (adapter === 'local') {
    const base = await mkdtemp(join(tmpdir(), 'docstore-bench-rss-'));
    const storage = await LocalObjectStorage.open({ root: join(base, 'objects') });
    cleanup = () => rm(base, { recursive: true, force: true });
    work =
      mode === 'baseline'
        ? () => pipeline(generated(bytes), createWriteStream(join(base, 'plain')))
        : async () => void (await storage.put('streamed', generated(bytes)));
  } else {
    const client = s3ClientFrom(process.env);
    const bucket = process.env.S3_TEST_BUCKET as string;
    const storage = new S3ObjectStorage({ client, bucket, keyPrefix: 'bench/' });
    await storage.put('warm-up', generated(MiB));
    cleanup = async () => client.destroy();
    work =
      mode === 'baseline'
        ? async () => {
            const params = { Bucket: bucket, Key: 'bench/baseline-streamed', Body: generated(bytes) };
            await new Upload({ client, params, partSize: 5 * MiB, queueSize: 2 }).done();
          }
        : async () => void (await storage.put('streamed', generated(bytes)));
  }
  const growth = await rssGrowth(work);
  await cleanup();
  console.log(growth.toFixed(2));
}

const rows: Row[] = [];
const rss: RssRow[] = [];
const only = process.argv[2];
if (only === 'rss-local' || only === 'rss-s3' || only === 'rss-local-encrypted') {
  await rssChild(only.slice('rss-'.length) as 'local' | 's3' | 'local-encrypted', process.argv[3] ?? 'adapter');
  process.exit(0);
}
if (only === undefined || only === 'local' || only === 'encryption' || only === 'encryption-local') await benchLocal(rows, rss);
if (only === undefined || only === 's3' || only === 'encryption' || only === 'encryption-s3') {
  const { env, stop } = s3Environment();
  try {
    await benchS3(rows, rss, env);
  } finally {
    stop();
  }
}

const mbps = (bytes: number, ms: number) => (bytes / MiB / (ms / 1000)).toFixed(0);
console.log('\n| adapter | op | size | baseline median ms | adapter median ms | baseline MiB/s | adapter MiB/s | ratio | baseline CPU ms | adapter CPU ms | CPU ratio |');
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) {
  const bytes = Number.parseFloat(row.size) * MiB;
  console.log(
    `| ${row.adapter} | ${row.operation} | ${row.size} | ${row.baselineMs.toFixed(2)} | ${row.adapterMs.toFixed(2)} | ${mbps(bytes, row.baselineMs)} | ${mbps(bytes, row.adapterMs)} | ${(row.adapterMs / row.baselineMs).toFixed(2)} | ` +
      `${row.baselineCpuMs.toFixed(1)} | ${row.adapterCpuMs.toFixed(1)} | ${(row.adapterCpuMs / row.baselineCpuMs).toFixed(2)} |`,
  );
}
console.log('\n| adapter | streamed put | baseline RSS growth (MiB) | adapter RSS growth (MiB) |');
console.log('|---|---|---:|---:|');
for (const row of rss) {
  console.log(`| ${row.adapter} | 50 MiB | ${row.baseline[0].toFixed(1)} | ${row.ours[0].toFixed(1)} |`);
  console.log(`| ${row.adapter} | 200 MiB | ${row.baseline[1].toFixed(1)} | ${row.ours[1].toFixed(1)} |`);
}
