/**
 * `npm run bench:mirror`: `docstore mirror` from a local storage to Ceph RGW, against `rclone copy`
 * of the same files measured in the same run (same concurrency, part size and cut-off); then a
 * second docstore run with nothing to do; then the peak RSS of both tools at 1k and 10k objects.
 *
 * rclone copies plain files and docstore mirrors its own storage format, so every data set is
 * generated twice, outside the timed part: as a docstore local storage (`LocalObjectStorage.put`)
 * and as a plain directory tree of the same bytes under the same keys. Each run uploads to a fresh
 * bucket, in a child process timed from spawn to exit, its peak RSS taken by `/usr/bin/time`; a
 * bucket is emptied and removed as soon as it is not needed any more (and at the end).
 * Traffic goes only to the RGW on 127.0.0.1 started here (or S3_TEST_* if set).
 *
 * BENCH_MIRROR_SCALE (default 1) scales every object count, e.g. 0.1 for a quick run;
 * BENCH_MIRROR_ROUNDS (default 3, issue 22's median of 3) is the number of first-copy rounds, alternating which tool goes first;
 * BENCH_MIRROR_ONLY=copy,rss runs only the phases named (all by default): `copy` the first copies
 * and the no-change runs, `rss` the peak RSS rows (a zero-object run, then 1k and 10k objects, each
 * beside rclone and beside a bare Node + AWS SDK PutObject loop, the floor of any Node tool; docstore
 * and that loop also with the V8 flags of BENCH_MIRROR_NODE_FLAGS, `--optimize-for-size
 * --no-concurrent-recompilation` by default).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { LocalObjectStorage } from '../src/storage/local/local-object-storage.js';
import { MIRROR_STATE_PREFIX } from '../src/sync/mirror-manifest.js';
import { phasesToRun } from './support/bench-phases.js';
import { eachConcurrently, ensureDebianPackage, s3Environment, s3TargetOf } from './support/bench-services.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SCALE = Number(process.env.BENCH_MIRROR_SCALE ?? 1);
const ROUNDS = Number(process.env.BENCH_MIRROR_ROUNDS ?? 3);
if (!(SCALE > 0) || !Number.isInteger(ROUNDS) || ROUNDS < 1) throw new RangeError('BENCH_MIRROR_SCALE must be > 0 and BENCH_MIRROR_ROUNDS a whole number ≥ 1');
/** `copy`: first copies and no-change runs; `rss`: peak RSS by object count. */
const PHASES = phasesToRun('BENCH_MIRROR_ONLY', process.env.BENCH_MIRROR_ONLY, ['copy', 'rss']);
const scaled = (count: number) => Math.max(1, Math.round(count * SCALE));

/** Objects in flight, for both tools (docstore --concurrency, rclone --transfers and --checkers). */
const CONCURRENCY = 8;
/** docstore's S3 adapter: streams up to one part go in one PutObject, longer ones multipart in 5 MiB parts, 2 at a time. */
const PART_BYTES = 5 * MiB;
const PARTS_IN_FLIGHT = 2;
const SMALL = { count: scaled(2000), bytes: 64 * KiB };
const LARGE = { count: scaled(20), bytes: 20 * MiB };
const RSS_COUNTS = [scaled(1000), scaled(10_000)];
const RSS_OBJECT_BYTES = 4 * KiB;
/** Longest any one child process may run before it is killed. */
const CHILD_TIMEOUT_MS = 300_000;

const root = new URL('..', import.meta.url).pathname;
const docstoreBin = join(root, 'bin/docstore.js');
const sdkPutLoop = join(root, 'bench/support/sdk-put-loop.mjs');
/**
 * V8 flags of the RSS table's second docstore column and second SDK column (BENCH_MIRROR_NODE_FLAGS,
 * space-separated): by default those that size V8's heap for memory rather than throughput, for
 * the trade-off of issue 22's 100 MiB target (peak RSS against speed) in one run.
 */
const TUNED_NODE_FLAGS = (process.env.BENCH_MIRROR_NODE_FLAGS ?? '--optimize-for-size --no-concurrent-recompilation').split(' ').filter((flag) => flag !== '');
const TIME = '/usr/bin/time';

// ---------------------------------------------------------------- tools and services




// ---------------------------------------------------------------- data sets

interface Dataset {
  /** A docstore local storage (`file:///…` location). */
  docstoreRoot: string;
  /** The same bytes as plain files under the same keys (rclone's source). */
  plainRoot: string;
  objects: number;
  bytes: number;
}

/** Keys like documents' `org/building/id`: 100 objects per directory. */
function keyOf(index: number): string {
  const building = Math.floor(index / 100);
  return `org-${String(Math.floor(building / 10)).padStart(3, '0')}/building-${String(building % 10).padStart(2, '0')}/doc-${String(index).padStart(6, '0')}.pdf`;
}


/** Writes `count` random objects (sizes from `sizeOf`) twice: into a docstore local storage and as plain files. */
async function generate(base: string, name: string, sizeOf: (index: number) => number, count: number): Promise<Dataset> {
  const docstoreRoot = join(base, name, 'docstore');
  const plainRoot = join(base, name, 'plain');
  const storage = await LocalObjectStorage.open({ root: docstoreRoot });
  let bytes = 0;
  await eachConcurrently(count, 16, async (index) => {
    const key = keyOf(index);
    const body = randomBytes(sizeOf(index));
    bytes += body.length;
    const plain = join(plainRoot, key);
    await mkdir(dirname(plain), { recursive: true });
    await Promise.all([storage.put(key, body, { contentType: 'application/pdf' }), writeFile(plain, body)]);
  });
  // The plain files are not fsynced: flush them now, or their write-back would run during a timed copy.
  execFileSync('sync');
  return { docstoreRoot, plainRoot, objects: count, bytes };
}

// ---------------------------------------------------------------- measured child processes

interface ChildRun {
  wallMs: number;
  /** User and system CPU time (s). */
  cpuS: number;
  peakRssMiB: number;
  stdout: string;
}

const children = new Set<ChildProcess>();
let runs = 0;

/** Kills a child's process group (its own, see `detached`), by the child's pid. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Runs `command` under `/usr/bin/time`, timed from spawn to exit; fails on a non-zero exit. */
async function measured(work: string, label: string, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  // Not rss-N: the datasets of the RSS part are directories of that name.
  const rssFile = join(work, `peak-rss-${++runs}.txt`);
  const started = performance.now();
  const child = spawn(TIME, ['-f', '%U %S %M', '-o', rssFile, command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => void (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(-8192)));
  const timer = setTimeout(() => killGroup(child), CHILD_TIMEOUT_MS);
  const status = await new Promise<number | string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  }).finally(() => {
    clearTimeout(timer);
    children.delete(child);
  });
  const wallMs = performance.now() - started;
  if (status !== 0) throw new Error(`${label} exited with ${status}:\n${stderr}`);
  const lines = (await readFile(rssFile, 'utf8')).trim().split('\n');
  const [user, system, maxRssKiB] = (lines[lines.length - 1] as string).split(' ').map(Number) as [number, number, number];
  return { wallMs, cpuS: user + system, peakRssMiB: maxRssKiB / KiB, stdout };
}

interface Tools {
  work: string;
  client: S3Client;
  docstoreEnv: NodeJS.ProcessEnv;
  rcloneEnv: NodeJS.ProcessEnv;
  /** The bare SDK loop's: S3_TEST_* of the endpoint. */
  sdkEnv: NodeJS.ProcessEnv;
}

/** Live heap of a docstore run: `heapUsed` right after a forced full GC, once a second (MiB). */
interface LiveHeap {
  medianMiB: number;
  maxMiB: number;
}

/**
 * Preloaded into a docstore child (`--expose-gc --import`): once a second, a full GC, then
 * `heapUsed`, i.e. live memory only (objects in flight included); the samples are written to
 * BENCH_HEAP_PROBE_FILE at exit.
 */
const HEAP_PROBE = `import { writeFileSync } from 'node:fs';
const samples = [];
setInterval(() => { globalThis.gc(); samples.push(process.memoryUsage().heapUsed); }, 1000).unref();
process.on('exit', () => writeFileSync(process.env.BENCH_HEAP_PROBE_FILE, JSON.stringify(samples)));
`;

interface DocstoreSummary {
  scanned: number;
  copied: number;
  skipped: number;
  failed: number;
  mismatched: number;
  bytesCopied: number;
  durationMs: number;
}

type DocstoreRun = ChildRun & { summary: DocstoreSummary; heap?: LiveHeap };

/**
 * `docstore mirror` in a child process. With `probeHeap` the child also samples its live heap (see
 * HEAP_PROBE); the forced GCs lower its peak RSS, so such a run is used for nothing else.
 * `nodeFlags` go to Node before the script.
 */
async function docstoreMirror(tools: Tools, dataset: Dataset, bucket: string, probeHeap = false, nodeFlags: readonly string[] = []): Promise<DocstoreRun> {
  const probeFile = join(tools.work, `heap-${bucket}.json`);
  const probe = probeHeap ? ['--expose-gc', '--import', pathToFileURL(join(tools.work, 'heap-probe.mjs')).href] : [];
  const args = [...probe, ...nodeFlags, docstoreBin, 'mirror', pathToFileURL(dataset.docstoreRoot).href, `s3://bench@${bucket}/`, '--concurrency', String(CONCURRENCY), '--json'];
  const env = probeHeap ? { ...tools.docstoreEnv, BENCH_HEAP_PROBE_FILE: probeFile } : tools.docstoreEnv;
  const run = await measured(tools.work, `docstore mirror → ${bucket}`, process.execPath, args, env);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop() as string) as DocstoreSummary;
  if (summary.failed > 0 || summary.scanned !== dataset.objects) throw new Error(`docstore mirror → ${bucket}: ${run.stdout}`);
  if (!probeHeap) return { ...run, summary };
  // The second half of the run: the first samples may fall in the start-up, before the mirror runs.
  const all = JSON.parse(await readFile(probeFile, 'utf8')) as number[];
  const samples = all.slice(Math.floor(all.length / 2)).map((bytes) => bytes / MiB);
  if (samples.length === 0) throw new Error(`docstore mirror → ${bucket}: no heap sample (the run took under a second)`);
  return { ...run, summary, heap: { medianMiB: median(samples), maxMiB: Math.max(...samples) } };
}

/** Median wall time of `docstore --help`: the process start-up included in every docstore wall time. */
async function docstoreStartupMs(tools: Tools): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) samples.push((await measured(tools.work, 'docstore --help', process.execPath, [docstoreBin, '--help'], tools.docstoreEnv)).wallMs);
  return median(samples);
}

async function rcloneCopy(tools: Tools, dataset: Dataset, bucket: string): Promise<ChildRun> {
  const args = [
    'copy',
    dataset.plainRoot,
    `rgw:${bucket}`,
    '--transfers',
    String(CONCURRENCY),
    '--checkers',
    String(CONCURRENCY),
    '--s3-upload-cutoff',
    `${PART_BYTES / MiB}Mi`,
    '--s3-chunk-size',
    `${PART_BYTES / MiB}Mi`,
    '--s3-upload-concurrency',
    String(PARTS_IN_FLIGHT),
    '--s3-no-check-bucket',
    '--stats',
    '0',
    '-q',
  ];
  return measured(tools.work, `rclone copy → ${bucket}`, 'rclone', args, tools.rcloneEnv);
}

/** The baseline: bare Node and the AWS SDK putting each plain file (sdk-put-loop.mjs), with Node's defaults or `nodeFlags`. */
async function sdkPut(tools: Tools, dataset: Dataset, bucket: string, nodeFlags: readonly string[]): Promise<ChildRun> {
  return measured(tools.work, `SDK PutObject loop → ${bucket}`, process.execPath, [...nodeFlags, sdkPutLoop, dataset.plainRoot, bucket, String(CONCURRENCY)], tools.sdkEnv);
}

/** Buckets this run created and has not removed yet. */
const buckets = new Set<string>();

async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  buckets.add(bucket);
}

/**
 * Empties and removes a bucket of this run as soon as it is no longer needed: a shared test RGW
 * (S3_TEST_*, memstore of a few GiB) stops accepting writes, for every user, once it is full.
 */
async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await client.send(new ListObjectsV2Command({ Bucket: bucket, ...(token === undefined ? {} : { ContinuationToken: token }) }));
    const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key as string }));
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  buckets.delete(bucket);
}

/** Fails unless the bucket holds exactly the data set's objects and bytes (nothing temporary left; docstore's manifest aside). */
async function checkBucket(client: S3Client, bucket: string, dataset: Dataset): Promise<void> {
  let objects = 0;
  let bytes = 0;
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await client.send(new ListObjectsV2Command({ Bucket: bucket, ...(token === undefined ? {} : { ContinuationToken: token }) }));
    for (const object of page.Contents ?? []) {
      if (object.Key?.startsWith(MIRROR_STATE_PREFIX) === true) continue;
      objects++;
      bytes += object.Size ?? 0;
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  if (objects !== dataset.objects || bytes !== dataset.bytes) {
    throw new Error(`${bucket} holds ${objects} objects, ${bytes} bytes; expected ${dataset.objects}, ${dataset.bytes}`);
  }
}

// ---------------------------------------------------------------- the bench

interface CopyRow {
  round: number;
  bucket: string;
  tool: 'docstore' | 'rclone';
  run: ChildRun;
  /** docstore only: the mirror's own duration (without process start-up). */
  mirrorMs?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const perSecond = (count: number, ms: number) => count / (ms / 1000);
const fixed = (value: number, digits = 0) => value.toFixed(digits);

function machine(): string[] {
  const version = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return result.status === 0 ? (result.stdout.split('\n')[0]?.trim() ?? '?') : `${command}: unknown`;
  };
  return [
    `- CPU: ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}; RAM ${fixed(totalmem() / 1024 ** 3, 1)} GiB`,
    `- Node ${process.version}; ${version('rclone', ['version'])}; radosgw ${version('dpkg-query', ['-W', '-f=${Version}', 'radosgw'])}`,
  ];
}

async function main(): Promise<void> {
  ensureDebianPackage('rclone', 'rclone');
  ensureDebianPackage(TIME, 'time');
  const work = await mkdtemp(join(tmpdir(), 'docstore-bench-mirror-'));
  let stopS3: () => void = () => undefined;
  let s3Client: S3Client | undefined;
  const interrupted = () => {
    for (const child of children) killGroup(child);
    stopS3();
    execFileSync('rm', ['-rf', work]);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const s3 = s3Environment('mirror');
    stopS3 = s3.stop;
    const env = s3.env;
    const { client, endpoint, region } = s3TargetOf(env);
    s3Client = client;
    const rcloneConfig = join(work, 'rclone.conf');
    await writeFile(rcloneConfig, '');
    await writeFile(join(work, 'heap-probe.mjs'), HEAP_PROBE);
    // Debian's rclone fails with LoadCustomCABundleError when AWS_CA_BUNDLE is set; no proxy for 127.0.0.1.
    const { AWS_CA_BUNDLE: _ca, HTTP_PROXY: _a, HTTPS_PROXY: _b, http_proxy: _c, https_proxy: _d, ALL_PROXY: _e, all_proxy: _f, ...inherited } = process.env;
    const tools: Tools = {
      work,
      client,
      docstoreEnv: {
        ...process.env,
        STORAGE_BACKEND: 'local',
        DATA_DIR: join(work, 'data'),
        DOCSTORE_REMOTE_BENCH_ENDPOINT: endpoint,
        DOCSTORE_REMOTE_BENCH_REGION: region,
        DOCSTORE_REMOTE_BENCH_ACCESS_KEY: env.S3_TEST_ACCESS_KEY,
        DOCSTORE_REMOTE_BENCH_SECRET_KEY: env.S3_TEST_SECRET_KEY,
        DOCSTORE_REMOTE_BENCH_PATH_STYLE: env.S3_TEST_PATH_STYLE === 'false' ? 'false' : 'true',
      },
      rcloneEnv: {
        ...inherited,
        RCLONE_CONFIG: rcloneConfig,
        RCLONE_CACHE_DIR: join(work, 'rclone-cache'),
        RCLONE_CONFIG_RGW_TYPE: 's3',
        RCLONE_CONFIG_RGW_PROVIDER: 'Ceph',
        RCLONE_CONFIG_RGW_ENDPOINT: endpoint,
        RCLONE_CONFIG_RGW_REGION: region,
        RCLONE_CONFIG_RGW_ACCESS_KEY_ID: env.S3_TEST_ACCESS_KEY,
        RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY: env.S3_TEST_SECRET_KEY,
        RCLONE_CONFIG_RGW_FORCE_PATH_STYLE: env.S3_TEST_PATH_STYLE === 'false' ? 'false' : 'true',
      },
      sdkEnv: { ...inherited, ...env },
    };
    const tag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
    out(`\n## docstore mirror vs rclone copy, local → S3 (${endpoint}${process.env.S3_TEST_ENDPOINT ? '' : ', Ceph RGW started for this run'})\n`);
    for (const line of machine()) out(line);
    out(`- docstore: \`docstore mirror file:///… s3://bench@bucket/ --concurrency ${CONCURRENCY} --json\` (Node, the build in dist/: \`npm run bench:mirror\` builds it first)`);
    out(`- rclone: \`rclone copy DIR rgw:bucket --transfers ${CONCURRENCY} --checkers ${CONCURRENCY} --s3-upload-cutoff 5Mi --s3-chunk-size 5Mi --s3-upload-concurrency ${PARTS_IN_FLIGHT} --s3-no-check-bucket\``);
    out(`- phases: ${[...PHASES].join(', ')} (BENCH_MIRROR_ONLY); load average at the start ${loadAverage()}`);
    const targets: string[] = [];
    if (PHASES.has('copy')) targets.push(...(await copyPhase(tools, tag)));
    if (PHASES.has('rss')) targets.push(...(await rssPhase(tools, tag)));
    out('\n### Targets\n');
    out('| target | measured | met |');
    out('|---|---:|:---:|');
    for (const row of targets) out(row);
    out(`\nLoad average at the end: ${loadAverage()}.`);
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    for (const child of children) killGroup(child);
    if (s3Client !== undefined) {
      for (const bucket of [...buckets]) await removeBucket(s3Client, bucket).catch((error: unknown) => console.error(`could not remove bucket ${bucket}: ${String(error)}`));
      s3Client.destroy();
    }
    stopS3();
    await rm(work, { recursive: true, force: true });
  }
}

/** First copies (small and large objects, rounds alternating which tool goes first), then a no-change run of each tool; prints its tables, returns its target rows. */
async function copyPhase(tools: Tools, tag: string): Promise<string[]> {
  const { work, client } = tools;
  const startupMs = await docstoreStartupMs(tools);

  const total = SMALL.count + LARGE.count;
  const isLarge = (index: number) => Math.floor(((index + 1) * LARGE.count) / total) > Math.floor((index * LARGE.count) / total);
  console.error(`generating ${SMALL.count} × 64 KiB + ${LARGE.count} × 20 MiB, twice (docstore storage and plain files)`);
  const mixed = await generate(work, 'mixed', (index) => (isLarge(index) ? LARGE.bytes : SMALL.bytes), total);
  const copies: CopyRow[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order: Array<'docstore' | 'rclone'> = round % 2 === 1 ? ['rclone', 'docstore'] : ['docstore', 'rclone'];
    for (const tool of order) {
      const bucket = `mirror-${tag}-${tool}-${round}`;
      await createBucket(client, bucket);
      console.error(`round ${round}: ${tool} → ${bucket}`);
      if (tool === 'docstore') {
        const run = await docstoreMirror(tools, mixed, bucket);
        if (run.summary.copied !== mixed.objects) throw new Error(`docstore copied ${run.summary.copied} of ${mixed.objects}`);
        copies.push({ round, bucket, tool, run, mirrorMs: run.summary.durationMs });
      } else {
        copies.push({ round, bucket, tool, run: await rcloneCopy(tools, mixed, bucket) });
      }
      await checkBucket(client, bucket, mixed);
      // Only each tool's last bucket is needed again (the no-change runs).
      const earlier = copies.filter((row) => row.tool === tool).slice(0, -1);
      for (const row of earlier) if (buckets.has(row.bucket)) await removeBucket(client, row.bucket);
    }
  }

  // Nothing to do: the same copy again onto each tool's last bucket.
  console.error('no-change runs');
  const lastDocstore = copies.filter((row) => row.tool === 'docstore').pop() as CopyRow;
  const lastRclone = copies.filter((row) => row.tool === 'rclone').pop() as CopyRow;
  const docstoreAgain = await docstoreMirror(tools, mixed, lastDocstore.bucket);
  if (docstoreAgain.summary.copied !== 0) throw new Error(`the no-change run copied ${docstoreAgain.summary.copied} objects`);
  const rcloneAgain = await rcloneCopy(tools, mixed, lastRclone.bucket);
  await checkBucket(client, lastRclone.bucket, mixed);
  await removeBucket(client, lastDocstore.bucket);
  await removeBucket(client, lastRclone.bucket);

  const mib = mixed.bytes / MiB;
  out('\n### First copy (fresh bucket)\n');
  out(`${SMALL.count} × 64 KiB + ${LARGE.count} × 20 MiB = ${mixed.objects} objects, ${fixed(mib, 1)} MiB; concurrency ${CONCURRENCY}; single PUT up to ${PART_BYTES / MiB} MiB, multipart in ${PART_BYTES / MiB} MiB parts, ${PARTS_IN_FLIGHT} parts in flight per object. Wall time: process spawn to exit, start-up included (\`docstore --help\` takes ${fixed(startupMs / 1000, 2)} s here); every first copy goes into a fresh bucket, checked afterwards (object count and bytes).\n`);
  out('| round | tool | wall s | objects/s | MiB/s | mirror s (in process) | peak RSS MiB |');
  out('|---:|---|---:|---:|---:|---:|---:|');
  for (const row of copies) {
    out(
      `| ${row.round} | ${row.tool} | ${fixed(row.run.wallMs / 1000, 2)} | ${fixed(perSecond(mixed.objects, row.run.wallMs))} | ${fixed(perSecond(mib, row.run.wallMs), 1)} | ${row.mirrorMs === undefined ? '—' : fixed(row.mirrorMs / 1000, 2)} | ${fixed(row.run.peakRssMiB)} |`,
    );
  }
  const docstoreMs = median(copies.filter((row) => row.tool === 'docstore').map((row) => row.run.wallMs));
  const rcloneMs = median(copies.filter((row) => row.tool === 'rclone').map((row) => row.run.wallMs));
  const docstoreMirrorMs = median(copies.filter((row) => row.tool === 'docstore').map((row) => row.mirrorMs as number));
  const ratio = rcloneMs / docstoreMs;
  out(`\n| median of ${ROUNDS} | wall s | objects/s | MiB/s |`);
  out('|---|---:|---:|---:|');
  out(`| rclone (baseline) | ${fixed(rcloneMs / 1000, 2)} | ${fixed(perSecond(mixed.objects, rcloneMs))} | ${fixed(perSecond(mib, rcloneMs), 1)} |`);
  out(`| docstore | ${fixed(docstoreMs / 1000, 2)} | ${fixed(perSecond(mixed.objects, docstoreMs))} | ${fixed(perSecond(mib, docstoreMs), 1)} |`);
  out(`| **ratio docstore / rclone speed** | **${fixed(ratio, 2)}** | | |`);
  out(`\ndocstore's mirror itself (without process start-up) took ${fixed(docstoreMirrorMs / 1000, 2)} s (median): ratio ${fixed(rcloneMs / docstoreMirrorMs, 2)} against rclone's wall time.`);

  const noChange = lastDocstore.run.wallMs / docstoreAgain.wallMs;
  out('\n### Second run, nothing to do (same source, same bucket as the last first copy)\n');
  out('| tool | first copy wall s | no-change wall s | no-change in process s | speed-up |');
  out('|---|---:|---:|---:|---:|');
  out(`| rclone (baseline) | ${fixed(lastRclone.run.wallMs / 1000, 2)} | ${fixed(rcloneAgain.wallMs / 1000, 2)} | — | ${fixed(lastRclone.run.wallMs / rcloneAgain.wallMs, 1)}× |`);
  out(`| docstore | ${fixed(lastDocstore.run.wallMs / 1000, 2)} | ${fixed(docstoreAgain.wallMs / 1000, 2)} | ${fixed(docstoreAgain.summary.durationMs / 1000, 2)} | ${fixed(noChange, 1)}× |`);
  out('\n### What each tool verifies\n');
  out(
    '- docstore: hashes every object (SHA-256) while streaming it and publishes it only if it hashes to the SHA-256 the source stored, so damage at rest in the source is caught too; each request body is sent with its SHA-256 in the SigV4 signature, which RGW checks. The SHA-256 is stored with the copy (`x-amz-meta-docstore-sha256`). Objects over 5 MiB go multipart straight to their key, completed only after the check (a mismatch aborts the upload). No read-back after the upload. The no-change run compares sizes and SHA-256s without a HEAD: the source\'s come from its listing (local disk), the destination\'s from the manifest the previous run left in the bucket (\`.docstore-mirror/manifest.tsv.gz\`), trusted for an object only while the bucket lists the ETag and size recorded there (else one HEAD for that object).',
  );
  out(
    "- rclone (1.60): reads each file's MD5 first; a single-part PUT carries it as Content-MD5 (RGW checks it); a multipart upload stores it as `X-Amz-Meta-Md5chksum` and sends each part with Content-MD5 and a signed SHA-256. After each upload it HEADs the object and compares size and MD5 (the ETag of a single-part object; for a multipart one, the ETag against the one it computes from its parts, and its own stored MD5). It has no reference for the source's bytes, so damage at rest in the source is copied. The no-change run compares size and modification time (one HEAD per object to read `X-Amz-Meta-Mtime`), not content.",
  );
  const againRatio = rcloneAgain.wallMs / docstoreAgain.wallMs;
  return [
    `| docstore ≥ 1.2× rclone's speed, first copy (median) | ${fixed(ratio, 2)} | ${ratio >= 1.2 ? 'yes' : 'no'} |`,
    `| no-change run ≥ 10× faster than the first | ${fixed(noChange, 1)}× | ${noChange >= 10 ? 'yes' : 'no'} |`,
    `| no-change run faster than rclone's | ${fixed(againRatio, 2)}× | ${againRatio > 1 ? 'yes' : 'no'} |`,
  ];
}

type RssRow = { objects: number; docstore: DocstoreRun; docstoreTuned: DocstoreRun; heap: LiveHeap; rclone: ChildRun; sdk: ChildRun; sdkTuned: ChildRun };

/**
 * Peak RSS as the object count grows: a docstore run with nothing to copy (the process's floor:
 * Node, the SDK, docstore's modules), then at each count docstore, docstore with TUNED_NODE_FLAGS,
 * docstore sampling its live heap, rclone, and the bare SDK loop with Node's defaults and with
 * TUNED_NODE_FLAGS; prints the table, returns its target rows.
 */
async function rssPhase(tools: Tools, tag: string): Promise<string[]> {
  const { work, client } = tools;
  const empty = await generate(work, 'rss-0', () => RSS_OBJECT_BYTES, 0);
  const floorBucket = `rss-${tag}-docstore-0`;
  await createBucket(client, floorBucket);
  const floor = await docstoreMirror(tools, empty, floorBucket);
  const floorTuned = await docstoreMirror(tools, empty, floorBucket, false, TUNED_NODE_FLAGS);
  await removeBucket(client, floorBucket);
  const rssRows: RssRow[] = [];
  for (const count of RSS_COUNTS) {
    console.error(`generating ${count} × 4 KiB, twice`);
    const dataset = await generate(work, `rss-${count}`, () => RSS_OBJECT_BYTES, count);
    const docstoreBucket = `rss-${tag}-docstore-${count}`;
    const rcloneBucket = `rss-${tag}-rclone-${count}`;
    await createBucket(client, docstoreBucket);
    await createBucket(client, rcloneBucket);
    console.error(`${count} objects: docstore, docstore with ${TUNED_NODE_FLAGS.join(' ')}, docstore sampling its live heap, rclone, the bare SDK loop twice`);
    const docstore = await docstoreMirror(tools, dataset, docstoreBucket);
    await checkBucket(client, docstoreBucket, dataset);
    const tunedBucket = `rss-${tag}-tuned-${count}`;
    await createBucket(client, tunedBucket);
    const docstoreTuned = await docstoreMirror(tools, dataset, tunedBucket, false, TUNED_NODE_FLAGS);
    await checkBucket(client, tunedBucket, dataset);
    const probeBucket = `rss-${tag}-heap-${count}`;
    await createBucket(client, probeBucket);
    const probed = await docstoreMirror(tools, dataset, probeBucket, true);
    const rclone = await rcloneCopy(tools, dataset, rcloneBucket);
    await checkBucket(client, rcloneBucket, dataset);
    const sdkBucket = `rss-${tag}-sdk-${count}`;
    const sdkTunedBucket = `rss-${tag}-sdk-tuned-${count}`;
    await createBucket(client, sdkBucket);
    await createBucket(client, sdkTunedBucket);
    const sdk = await sdkPut(tools, dataset, sdkBucket, []);
    await checkBucket(client, sdkBucket, dataset);
    const sdkTuned = await sdkPut(tools, dataset, sdkTunedBucket, TUNED_NODE_FLAGS);
    await checkBucket(client, sdkTunedBucket, dataset);
    rssRows.push({ objects: count, docstore, docstoreTuned, heap: probed.heap as LiveHeap, rclone, sdk, sdkTuned });
    for (const bucket of [docstoreBucket, tunedBucket, probeBucket, rcloneBucket, sdkBucket, sdkTunedBucket]) await removeBucket(client, bucket);
    await rm(join(work, `rss-${count}`), { recursive: true, force: true });
  }

  const floorRssMiB = floor.peakRssMiB;
  out(`\n### Peak RSS as the object count grows (${RSS_OBJECT_BYTES / KiB} KiB objects, fresh buckets)\n`);
  const tuned = TUNED_NODE_FLAGS.join(' ');
  out(`Tuned: Node started with \`${tuned}\` (BENCH_MIRROR_NODE_FLAGS). SDK loop: bare Node and @aws-sdk/client-s3, one PutObject per file read whole, ${CONCURRENCY} at a time (bench/support/sdk-put-loop.mjs). CPU: user + system.\n`);
  out('| objects | docstore peak RSS MiB | docstore objects/s, CPU s | tuned docstore peak RSS MiB | tuned docstore objects/s, CPU s | docstore live heap MiB, median / max | rclone peak RSS MiB | rclone objects/s | SDK loop peak RSS MiB, Node\'s defaults / tuned | SDK loop objects/s, Node\'s defaults / tuned |');
  out('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  out(`| 0 | ${fixed(floorRssMiB, 1)} | | ${fixed(floorTuned.peakRssMiB, 1)} | | | | | | |`);
  for (const row of rssRows) {
    out(
      `| ${row.objects} | ${fixed(row.docstore.peakRssMiB, 1)} | ${fixed(perSecond(row.objects, row.docstore.wallMs))}, ${fixed(row.docstore.cpuS, 2)} | ${fixed(row.docstoreTuned.peakRssMiB, 1)} | ${fixed(perSecond(row.objects, row.docstoreTuned.wallMs))}, ${fixed(row.docstoreTuned.cpuS, 2)} | ${fixed(row.heap.medianMiB, 1)} / ${fixed(row.heap.maxMiB, 1)} | ${fixed(row.rclone.peakRssMiB, 1)} | ${fixed(perSecond(row.objects, row.rclone.wallMs))} | ${fixed(row.sdk.peakRssMiB, 1)} / ${fixed(row.sdkTuned.peakRssMiB, 1)} | ${fixed(perSecond(row.objects, row.sdk.wallMs))} / ${fixed(perSecond(row.objects, row.sdkTuned.wallMs))} |`,
    );
  }
  out(`\nThe 0 row: a docstore run with nothing to copy (empty source, fresh bucket): Node, the AWS SDK and docstore's modules loaded, before any object.`);
  out('\nLive heap: a separate docstore run into another fresh bucket, forcing a full GC once a second and reading `heapUsed` (samples of the second half of the run); peak RSS also holds garbage V8 has not collected yet.');
  const [few, many] = [rssRows[0], rssRows[rssRows.length - 1]] as [RssRow, RssRow];
  const rssGrowth = many.docstore.peakRssMiB / few.docstore.peakRssMiB;
  const liveGrowth = many.heap.medianMiB / few.heap.medianMiB;
  const smallRatio = perSecond(many.objects, many.docstore.wallMs) / perSecond(many.objects, many.rclone.wallMs);
  return [
    `| small objects at least at rclone's rate (${many.objects} × 4 KiB) | ${fixed(smallRatio, 2)}× | ${smallRatio >= 1 ? 'yes' : 'no'} |`,
    `| peak RSS at ${many.objects} objects ≤ 100 MiB | ${fixed(many.docstore.peakRssMiB, 1)} MiB (tuned ${fixed(many.docstoreTuned.peakRssMiB, 1)}; bare SDK loop ${fixed(many.sdk.peakRssMiB, 1)}, tuned ${fixed(many.sdkTuned.peakRssMiB, 1)}) | ${many.docstore.peakRssMiB <= 100 ? 'yes' : 'no'} |`,
    `| peak RSS growth over the zero-object run at ${many.objects} objects (${fixed(floorRssMiB, 1)} MiB) ≤ 100 MiB | ${fixed(many.docstore.peakRssMiB - floorRssMiB, 1)} MiB | ${many.docstore.peakRssMiB - floorRssMiB <= 100 ? 'yes' : 'no'} |`,
    `| RSS flat: peak RSS at ${many.objects} ≤ 1.2 × at ${few.objects} objects | ${fixed(rssGrowth, 2)}× (${fixed(many.docstore.peakRssMiB - few.docstore.peakRssMiB, 1)} MiB) | ${rssGrowth <= 1.2 ? 'yes' : 'no'} |`,
    `| live heap flat: median at ${many.objects} ≤ 1.2 × at ${few.objects} objects | ${fixed(liveGrowth, 2)}× | ${liveGrowth <= 1.2 ? 'yes' : 'no'} |`,
  ];
}

function out(line = ''): void {
  console.log(line);
}

function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
}

await main();
