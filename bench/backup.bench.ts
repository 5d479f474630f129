/**
 * `npm run bench:backup`: encrypted backups of a docstore (local storage + SQLite) to Ceph RGW.
 *
 * One run over about 1 GB of mixed documents (40 × 20 MiB, 2000 × 10–300 KiB, random bytes, keys
 * `org/building/document` as the service stores them, a SQLite database migrated to the latest schema
 * with one row per document):
 * 1. first backup (`runBackup`, concurrency 4) into an empty repository in a fresh bucket, against the
 *    baseline measured in the same run: `gpg --encrypt` of the same files, 4 at once, into a temporary
 *    directory, then `rclone copy` of that directory to the same bucket (4 transfers, the same part
 *    size as docstore's S3 adapter), timed together;
 * 2. an incremental backup after adding 1 % new documents (and their rows);
 * 3. `verify` without the private key, and a full restore into an empty local storage and a new
 *    SQLite file;
 * 4. `forget --keep-last 1 --prune`;
 * 5. restore against backup, alternated: the first backup and its restore are round 1; each further
 *    round (BENCH_BACKUP_ROUNDS, default 3, in all) backs the whole set up into an empty repository
 *    and restores it at once, so that load on the machine hits both alike; the ratio of each round
 *    (restore seconds per MB over the backup's) and their median;
 * 6. memory probes, not timed: the whole set backed up again into an empty repository, then
 *    restored, while a full GC runs once a second to read live memory (forced GCs would slow the
 *    timed phases down).
 * docstore's phases are library calls in this process, so that its RSS can be sampled (every
 * 100 ms): the peak of each phase, and for the backups and the restore the peak while the first half
 * of the bytes went through against the peak during the second half; live memory likewise for the
 * two probes (memory must not grow with the data). Traffic goes only to the RGW on
 * 127.0.0.1 started here (or S3_TEST_* if set).
 *
 * The bucket is removed at the end (the RGW may be shared and in memory): the baseline's copy as
 * soon as it is measured, each round's repository after its restore.
 *
 * BENCH_BACKUP_SCALE (default 1) scales every document count, e.g. 0.05 for a quick run.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { v7 as uuidv7 } from 'uuid';
import { BackupRepository } from '../src/backup/repository/backup-repository.js';
import { restoreSnapshot, type RestoreSummary } from '../src/backup/backup-restore.js';
import { forgetSnapshots } from '../src/backup/backup-retention.js';
import { runBackup, type BackupSummary } from '../src/backup/backup-run.js';
import { attachmentFor, initRepository } from '../src/backup/backup-setup.js';
import { verifyRepository } from '../src/backup/backup-verify.js';
import { generateKey, readPrivateKey, readPublicKeys } from '../src/backup/format/openpgp-codec.js';
import { openDatabase, type DatabaseConfig } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { LocalObjectStorage } from '../src/storage/local/local-object-storage.js';
import { eachConcurrently, ensureDebianPackage, s3Environment, s3TargetOf } from './support/bench-services.js';
import { S3ObjectStorage } from '../src/storage/s3/s3-object-storage.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SCALE = Number(process.env.BENCH_BACKUP_SCALE ?? 1);
if (!(SCALE > 0)) throw new RangeError('BENCH_BACKUP_SCALE must be a number above 0');
const scaled = (count: number) => Math.max(1, Math.round(count * SCALE));

const LARGE = { count: scaled(40), bytes: 20 * MiB };
const SMALL = { count: scaled(2000), minBytes: 10 * KiB, maxBytes: 300 * KiB };
/** Objects encrypted and uploaded at once: docstore's default, gpg processes and rclone transfers alike. */
const CONCURRENCY = 4;
/** docstore's S3 adapter: streams up to one part go in one PutObject, longer ones multipart in 5 MiB parts, 2 at a time. */
const PART_MIB = 5;
const PARTS_IN_FLIGHT = 2;
const NEW_SHARE = 0.01;
/** Rounds of backup then restore, the first backup's included. */
const ROUNDS = Number(process.env.BENCH_BACKUP_ROUNDS ?? 3);
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1) throw new RangeError('BENCH_BACKUP_ROUNDS must be a whole number of at least 1');
const SAMPLE_MS = 100;
const LIVE_SAMPLE_MS = 1000;
const TIME = '/usr/bin/time';

const root = new URL('..', import.meta.url).pathname;

// ---------------------------------------------------------------- tools and services




/** Runs a child process; fails on a non-zero exit (with its last stderr). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(-4096)));
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}:\n${stderr}`))));
  });
}


// ---------------------------------------------------------------- the document set

interface Document {
  key: string;
  size: number;
}

interface DocumentSet {
  storage: LocalObjectStorage;
  /** The same bytes as plain files under the same keys (the baseline's input). */
  plainRoot: string;
  database: DatabaseConfig;
  documents: Document[];
}

const ORGANIZATIONS = Array.from({ length: 5 }, () => uuidv7());
const BUILDINGS = Array.from({ length: 20 }, (_, index) => ({ id: uuidv7(), organizationId: ORGANIZATIONS[index % ORGANIZATIONS.length] as string }));

/** Adds `sizes.length` random documents: the object, the same bytes as a plain file, and the database row. */
async function addDocuments(set: DocumentSet, sizes: number[]): Promise<Document[]> {
  const { db } = openDatabase(set.database);
  const added: Document[] = [];
  try {
    const now = new Date().toISOString();
    await db
      .insertInto('buildings')
      .values(BUILDINGS.map((building) => ({ id: building.id, organization_id: building.organizationId, created_at: now })))
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    await eachConcurrently(sizes.length, 8, async (index) => {
      const building = BUILDINGS[randomInt(BUILDINGS.length)] as (typeof BUILDINGS)[number];
      const id = uuidv7();
      const key = `${building.organizationId}/${building.id}/${id}`;
      const body = randomBytes(sizes[index] as number);
      const plain = join(set.plainRoot, key);
      await mkdir(dirname(plain), { recursive: true });
      await Promise.all([set.storage.put(key, body, { contentType: 'application/pdf' }), writeFile(plain, body)]);
      await db
        .insertInto('documents')
        .values({
          id,
          organization_id: building.organizationId,
          building_id: building.id,
          type: 'invoice',
          title: `Document ${id}`,
          description: null,
          file_name: `${id}.pdf`,
          mime_type: 'application/pdf',
          size: body.length,
          sha256: createHash('sha256').update(body).digest('hex'),
          uploaded_by: 'bench',
          related_meeting_id: null,
          related_expense_id: null,
          storage_key: key,
          status: 'active',
          created_at: now,
          updated_at: now,
          deleted_at: null,
        })
        .execute();
      added.push({ key, size: body.length });
    });
  } finally {
    await db.destroy();
  }
  // The plain files are not fsynced: flush them now, or their write-back would run during a timed phase.
  execFileSync('sync');
  set.documents.push(...added);
  return added;
}

const smallSize = () => randomInt(SMALL.minBytes, SMALL.maxBytes + 1);

async function createDocumentSet(work: string): Promise<DocumentSet> {
  const database: DatabaseConfig = { dialect: 'sqlite', path: join(work, 'source', 'docstore.sqlite') };
  const { db } = openDatabase(database);
  await migrateToLatest(db);
  await db.destroy();
  const set: DocumentSet = { storage: await LocalObjectStorage.open({ root: join(work, 'source', 'objects') }), plainRoot: join(work, 'plain'), database, documents: [] };
  const sizes = [...Array.from({ length: LARGE.count }, () => LARGE.bytes), ...Array.from({ length: SMALL.count }, smallSize)];
  await addDocuments(set, sizes);
  return set;
}

const bytesOf = (documents: readonly Document[]) => documents.reduce((total, document) => total + document.size, 0);

// ---------------------------------------------------------------- measurement

interface Measured<T> {
  result: T;
  ms: number;
  /** RSS right before the phase, after a full GC (MiB). */
  startRssMiB: number;
  peakRssMiB: number;
  /** Peak RSS while the first half of the phase's bytes went through, and during the second half (MiB). */
  halves: [number, number];
  /** With `probeLive`: live memory (heap and buffers right after a full GC, once a second), the highest sample of each half (MiB). */
  liveHalves?: [number, number];
}

/**
 * Times `work` and samples this process's RSS every 100 ms; `progress` reports bytes done so far.
 * With `probeLive`, also forces a full GC once a second to read live memory: that slows the phase
 * down, so a phase compared with the baseline never probes.
 */
async function measured<T>(totalBytes: number, work: (progress: (bytes: number) => void) => Promise<T>, probeLive = false): Promise<Measured<T>> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const startRss = process.memoryUsage.rss();
  let done = 0;
  const halves = [startRss, 0];
  const sample = () => {
    const rss = process.memoryUsage.rss();
    const half = done < totalBytes / 2 ? 0 : 1;
    halves[half] = Math.max(halves[half] as number, rss);
  };
  // RSS also holds garbage V8 has not collected yet; live memory is what the phase really keeps.
  const live = [Number.NaN, Number.NaN];
  const sampleLive = () => {
    (globalThis as { gc?: () => void }).gc?.();
    const { heapUsed, external } = process.memoryUsage();
    const half = done < totalBytes / 2 ? 0 : 1;
    live[half] = Math.max(Number.isNaN(live[half]) ? 0 : (live[half] as number), heapUsed + external);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const liveTimer = probeLive ? setInterval(sampleLive, LIVE_SAMPLE_MS) : undefined;
  const started = performance.now();
  let result: T;
  try {
    result = await work((bytes) => void (done += bytes));
  } finally {
    clearInterval(timer);
    clearInterval(liveTimer);
  }
  const ms = performance.now() - started;
  sample();
  const [first, second] = halves as [number, number];
  return {
    result,
    ms,
    startRssMiB: startRss / MiB,
    peakRssMiB: Math.max(first, second) / MiB,
    halves: [first / MiB, second / MiB],
    ...(probeLive ? { liveHalves: [(live[0] as number) / MiB, (live[1] as number) / MiB] as [number, number] } : {}),
  };
}

/** Every key under `prefix` in the bucket, with its size. */
async function listBucket(client: S3Client, bucket: string, prefix: string): Promise<{ objects: number; bytes: number }> {
  let objects = 0;
  let bytes = 0;
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }));
    for (const object of page.Contents ?? []) {
      objects++;
      bytes += object.Size ?? 0;
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { objects, bytes };
}

/** Removes every object under `prefix` ('' for the whole bucket). */
async function deletePrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  for (;;) {
    const page: ListObjectsV2CommandOutput = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key as string }));
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    if (page.IsTruncated !== true) return;
  }
}

// ---------------------------------------------------------------- the baseline: gpg, then rclone

interface Baseline {
  gpgMs: number;
  rcloneMs: number;
  ms: number;
  uploadedBytes: number;
  rclonePeakRssMiB: number;
}

async function gpgThenRclone(work: string, set: DocumentSet, publicKeyFile: string, rcloneEnv: NodeJS.ProcessEnv, client: S3Client, bucket: string): Promise<Baseline> {
  const gnupgHome = join(work, 'gnupg');
  await mkdir(gnupgHome, { recursive: true, mode: 0o700 });
  const cipherRoot = join(work, 'gpg-out');
  const gpgEnv = { ...process.env, GNUPGHOME: gnupgHome };
  for (const document of set.documents) await mkdir(dirname(join(cipherRoot, document.key)), { recursive: true });
  const rssFile = join(work, 'rclone-rss');
  const started = performance.now();
  await eachConcurrently(set.documents.length, CONCURRENCY, async (index) => {
    const { key } = set.documents[index] as Document;
    // No compression: docstore does not compress either (documents are mostly compressed already).
    const args = ['--batch', '--yes', '--quiet', '--trust-model', 'always', '--compress-algo', 'none', '--recipient-file', publicKeyFile, '--encrypt', '-o', join(cipherRoot, `${key}.gpg`), join(set.plainRoot, key)];
    await run('gpg', args, gpgEnv);
  });
  const gpgDone = performance.now();
  await run(
    TIME,
    [
      '-f',
      '%M',
      '-o',
      rssFile,
      'rclone',
      'copy',
      cipherRoot,
      `bench:${bucket}/baseline`,
      '--transfers',
      String(CONCURRENCY),
      '--checkers',
      String(CONCURRENCY),
      '--s3-upload-cutoff',
      `${PART_MIB}Mi`,
      '--s3-chunk-size',
      `${PART_MIB}Mi`,
      '--s3-upload-concurrency',
      String(PARTS_IN_FLIGHT),
      '--s3-no-check-bucket',
      '--stats',
      '0',
      '-q',
    ],
    rcloneEnv,
  );
  const finished = performance.now();
  const rssLines = (await readFile(rssFile, 'utf8')).trim().split('\n');
  const uploaded = await listBucket(client, bucket, 'baseline/');
  if (uploaded.objects !== set.documents.length) throw new Error(`rclone copied ${uploaded.objects} of ${set.documents.length} files`);
  await rm(cipherRoot, { recursive: true, force: true });
  await deletePrefix(client, bucket, 'baseline/');
  return { gpgMs: gpgDone - started, rcloneMs: finished - gpgDone, ms: finished - started, uploadedBytes: uploaded.bytes, rclonePeakRssMiB: Number(rssLines[rssLines.length - 1]) / KiB };
}

// ---------------------------------------------------------------- the bench

interface Row {
  phase: string;
  bytes: number;
  ms: number;
  ratio?: string;
  peakRssMiB?: number;
  note: string;
}

async function main(): Promise<void> {
  ensureDebianPackage('gpg', 'gpg');
  ensureDebianPackage('rclone', 'rclone');
  ensureDebianPackage(TIME, 'time');
  const work = await mkdtemp(join(tmpdir(), 'docstore-bench-backup-'));
  let stopS3: () => void = () => undefined;
  let removeBucket = async (): Promise<void> => undefined;
  const interrupted = () => {
    stopS3();
    execFileSync('rm', ['-rf', work]);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const s3 = s3Environment('backup');
    stopS3 = s3.stop;
    const env = s3.env;
    const { client, endpoint, region, forcePathStyle: pathStyle } = s3TargetOf(env);
    const bucket = `backup-${process.pid.toString(36)}${Date.now().toString(36)}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    removeBucket = async () => {
      await deletePrefix(client, bucket, '');
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
    };
    // Debian's rclone fails with LoadCustomCABundleError when AWS_CA_BUNDLE is set; no proxy for 127.0.0.1.
    const { AWS_CA_BUNDLE: _ca, HTTP_PROXY: _a, HTTPS_PROXY: _b, http_proxy: _c, https_proxy: _d, ALL_PROXY: _e, all_proxy: _f, ...inherited } = process.env;
    const rcloneConfig = join(work, 'rclone.conf');
    await writeFile(rcloneConfig, '');
    const rcloneEnv: NodeJS.ProcessEnv = {
      ...inherited,
      RCLONE_CONFIG: rcloneConfig,
      RCLONE_CACHE_DIR: join(work, 'rclone-cache'),
      RCLONE_CONFIG_BENCH_TYPE: 's3',
      RCLONE_CONFIG_BENCH_PROVIDER: 'Ceph',
      RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
      RCLONE_CONFIG_BENCH_REGION: region,
      RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: env.S3_TEST_ACCESS_KEY,
      RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: env.S3_TEST_SECRET_KEY,
      RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: String(pathStyle),
    };

    console.error(`generating ${LARGE.count} × 20 MiB + ${SMALL.count} × 10–300 KiB (docstore storage, plain files, SQLite rows)`);
    const set = await createDocumentSet(work);
    const firstBytes = bytesOf(set.documents);
    const firstCount = set.documents.length;

    const passphrase = 'bench passphrase';
    const key = await generateKey({ name: 'Docstore backup bench' }, passphrase);
    const publicKeyFile = join(work, 'bench.pub.asc');
    await writeFile(publicKeyFile, key.publicKey);
    const recipients = await readPublicKeys(key.publicKey, publicKeyFile);
    const identity = await readPrivateKey(key.privateKey, passphrase, 'the bench key');

    const repositoryStorage = new S3ObjectStorage({ client, bucket, keyPrefix: 'repository/', endpointLabel: endpoint });
    const dataDir = join(work, 'data');
    const { repository } = await initRepository(repositoryStorage, recipients, dataDir);
    const backupTo = (target: BackupRepository) => async (progress: (bytes: number) => void): Promise<BackupSummary> => {
      const { db } = openDatabase(set.database);
      try {
        return await runBackup({
          repository: target,
          attachment: await attachmentFor(target, dataDir),
          storage: set.storage,
          db,
          database: set.database,
          docstoreVersion: 'bench',
          concurrency: CONCURRENCY,
          onObject: (event) => progress(event.bytes),
        });
      } finally {
        await db.destroy();
      }
    };

    console.error('baseline: gpg --encrypt, then rclone copy');
    const baseline = await gpgThenRclone(work, set, publicKeyFile, rcloneEnv, client, bucket);

    console.error('first backup');
    const backup = backupTo(repository);
    const first = await measured(firstBytes, backup);
    if (first.result.objects !== firstCount || first.result.uploaded !== firstCount) throw new Error(`first backup: ${JSON.stringify(first.result)}`);

    const newCount = Math.max(1, Math.round(firstCount * NEW_SHARE));
    console.error(`adding ${newCount} documents (1 %)`);
    const added = await addDocuments(set, Array.from({ length: newCount }, smallSize));
    console.error('incremental backup');
    const incremental = await measured(bytesOf(added), backup);
    if (incremental.result.uploaded !== newCount || incremental.result.reused !== firstCount) throw new Error(`incremental backup: ${JSON.stringify(incremental.result)}`);

    console.error('verify (no private key)');
    const verify = await measured(0, () => verifyRepository({ repository }));
    if (verify.result.problems.length > 0) throw new Error(`verify: ${JSON.stringify(verify.result.problems.slice(0, 5))}`);

    // Each restore goes into an empty local storage and a new SQLite file, removed after its checks.
    const restoreFrom = (source: BackupRepository, label: string) => async (progress: (bytes: number) => void): Promise<RestoreSummary> => {
      const target = join(work, `restored-${label}`);
      const { db } = openDatabase({ dialect: 'sqlite', path: join(target, 'docstore.sqlite') });
      try {
        const summary = await restoreSnapshot({
          repository: source,
          snapshot: await source.findSnapshot('latest'),
          keys: [identity],
          storage: await LocalObjectStorage.open({ root: join(target, 'objects') }),
          db,
          concurrency: CONCURRENCY,
          onObject: (event) => progress(event.bytes),
        });
        const bytes = bytesOf(set.documents);
        if (summary.failures.length > 0 || summary.objects !== set.documents.length || summary.documents !== set.documents.length || summary.bytes !== bytes) {
          throw new Error(`restore ${label}: ${JSON.stringify({ ...summary, failures: summary.failures.slice(0, 5) })}`);
        }
        return summary;
      } finally {
        await db.destroy();
        await rm(target, { recursive: true, force: true });
      }
    };

    console.error('full restore');
    const restore = await measured(bytesOf(set.documents), restoreFrom(repository, 'first'));
    const rounds: Round[] = [{ backup: first, restore, load: loadavg()[0] as number }];

    console.error('forget --keep-last 1 --prune');
    const forget = await measured(0, () => forgetSnapshots(repository, { keepLast: 1 }, { prune: true }));
    if (forget.result.removed.length !== 1 || forget.result.pruned === undefined || forget.result.pruned.failed > 0) throw new Error(`forget: ${JSON.stringify(forget.result.pruned)}`);
    const stored = await listBucket(client, bucket, 'repository/data/');

    for (let round = 2; round <= ROUNDS; round++) {
      console.error(`round ${round} of ${ROUNDS}: the whole set into an empty repository, then its full restore`);
      const prefix = `round-${round}/`;
      const roundRepository = (await initRepository(new S3ObjectStorage({ client, bucket, keyPrefix: prefix, endpointLabel: endpoint }), recipients, dataDir)).repository;
      const roundBackup = await measured(bytesOf(set.documents), backupTo(roundRepository));
      if (roundBackup.result.uploaded !== set.documents.length) throw new Error(`round ${round} backup: ${JSON.stringify(roundBackup.result)}`);
      const roundRestore = await measured(bytesOf(set.documents), restoreFrom(roundRepository, `round-${round}`));
      rounds.push({ backup: roundBackup, restore: roundRestore, load: loadavg()[0] as number });
      await deletePrefix(client, bucket, prefix);
    }

    console.error('memory probe: the whole set again into an empty repository, then its restore, forcing a GC once a second (not timed)');
    const probeRepository = (await initRepository(new S3ObjectStorage({ client, bucket, keyPrefix: 'probe/', endpointLabel: endpoint }), recipients, dataDir)).repository;
    const probe = await measured(bytesOf(set.documents), backupTo(probeRepository), true);
    if (probe.result.uploaded !== set.documents.length) throw new Error(`memory probe: ${JSON.stringify(probe.result)}`);
    const restoreProbe = await measured(bytesOf(set.documents), restoreFrom(probeRepository, 'probe'), true);

    report({ endpoint, firstCount, firstBytes, baseline, first, newCount, incremental, verify, restore, forget, stored, probe, restoreProbe, rounds });
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    await removeBucket();
    stopS3();
    await rm(work, { recursive: true, force: true });
  }
}

/** One backup of the whole set and the full restore right after it, with the 1-minute load average at its end. */
interface Round {
  backup: Measured<BackupSummary>;
  restore: Measured<RestoreSummary>;
  load: number;
}

interface Results {
  endpoint: string;
  firstCount: number;
  firstBytes: number;
  baseline: Baseline;
  first: Measured<BackupSummary>;
  newCount: number;
  incremental: Measured<BackupSummary>;
  verify: Measured<Awaited<ReturnType<typeof verifyRepository>>>;
  restore: Measured<RestoreSummary>;
  forget: Measured<Awaited<ReturnType<typeof forgetSnapshots>>>;
  stored: { objects: number; bytes: number };
  probe: Measured<BackupSummary>;
  restoreProbe: Measured<RestoreSummary>;
  rounds: Round[];
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);
/** How much longer the round's restore took per MB than its backup (1.00: as fast; below: faster). */
const restorePerMb = (round: Round) => round.restore.ms / round.restore.result.bytes / (round.backup.ms / round.backup.result.bytes);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
const mb = (bytes: number) => bytes / 1e6;
const mbps = (bytes: number, ms: number) => (ms <= 0 || bytes === 0 ? '—' : fixed(mb(bytes) / (ms / 1000), 1));

function machine(): string[] {
  const version = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return result.status === 0 ? (result.stdout.split('\n')[0]?.trim() ?? '?') : `${command}: unknown`;
  };
  return [
    `- CPU: ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}; RAM ${fixed(totalmem() / 1024 ** 3, 1)} GiB`,
    `- Node ${process.version}; ${version('gpg', ['--version'])}; ${version('rclone', ['version'])}; radosgw ${version('dpkg-query', ['-W', '-f=${Version}', 'radosgw'])}`,
  ];
}

function report(results: Results): void {
  const { baseline, first, incremental, verify, restore, forget, probe, restoreProbe, rounds } = results;
  const out = (line = '') => console.log(line);
  out(`\n## docstore backup vs gpg --encrypt + rclone copy, local storage + SQLite → S3 (${results.endpoint}${process.env.S3_TEST_ENDPOINT ? '' : ', Ceph RGW started for this run'})\n`);
  for (const line of machine()) out(line);
  out(
    `- documents: ${LARGE.count} × 20 MiB + ${SMALL.count} × 10–300 KiB (random bytes) = ${results.firstCount} objects, ${fixed(mb(results.firstBytes), 1)} MB (MB = 10^6 bytes); SQLite database with one row per document`,
  );
  out(`- docstore: \`runBackup\` / \`restoreSnapshot\` / \`verifyRepository\` / \`forgetSnapshots\` in this process, concurrency ${CONCURRENCY}, repository s3 (RGW), OpenPGP (openpgp.js, X25519 + AES-256, SEIPD v1), Padmé padding`);
  out(
    `- baseline: \`gpg --batch --trust-model always --compress-algo none --recipient-file PUB --encrypt\` per file, ${CONCURRENCY} at once, into a temporary directory; then \`rclone copy DIR bench:bucket/baseline --transfers ${CONCURRENCY} --checkers ${CONCURRENCY} --s3-upload-cutoff ${PART_MIB}Mi --s3-chunk-size ${PART_MIB}Mi --s3-upload-concurrency ${PARTS_IN_FLIGHT}\`, timed together (gpg ${fixed(baseline.gpgMs / 1000, 1)} s + rclone ${fixed(baseline.rcloneMs / 1000, 1)} s)`,
  );
  out('- MB/s: plaintext bytes of the documents the phase handled, divided by its wall time; peak RSS: this process, sampled every 100 ms (the baseline row: rclone\'s, from /usr/bin/time; gpg processes are separate)');

  const rows: Row[] = [
    { phase: 'baseline: gpg --encrypt + rclone copy', bytes: results.firstBytes, ms: baseline.ms, ratio: '1.00', peakRssMiB: baseline.rclonePeakRssMiB, note: `${fixed(mb(baseline.uploadedBytes), 1)} MB sent` },
    {
      phase: 'first backup',
      bytes: results.firstBytes,
      ms: first.ms,
      ratio: fixed(baseline.ms / first.ms, 2),
      peakRssMiB: first.peakRssMiB,
      note: `${first.result.uploaded} objects uploaded, ${fixed(mb(first.result.uploadedBytes), 1)} MB sent (padding and OpenPGP included)`,
    },
    {
      phase: `incremental backup (+${results.newCount} documents, 1 %)`,
      bytes: incremental.result.bytes - results.firstBytes,
      ms: incremental.ms,
      ratio: `${fixed(first.ms / incremental.ms, 1)}× faster than the first`,
      peakRssMiB: incremental.peakRssMiB,
      note: `${incremental.result.uploaded} uploaded, ${incremental.result.reused} reused, ${fixed(mb(incremental.result.uploadedBytes), 2)} MB sent`,
    },
    { phase: 'verify, no private key', bytes: 0, ms: verify.ms, peakRssMiB: verify.peakRssMiB, note: `${verify.result.snapshots} snapshots, ${verify.result.blobs} blobs checked` },
    {
      phase: 'full restore (latest) into an empty storage + SQLite',
      bytes: restore.result.bytes,
      ms: restore.ms,
      ratio: `${fixed(restorePerMb(rounds[0] as Round), 2)}× the first backup's time per MB`,
      peakRssMiB: restore.peakRssMiB,
      note: `${restore.result.objects} objects, ${restore.result.documents} rows, ${restore.result.failures.length} failures`,
    },
    {
      phase: 'forget --keep-last 1 --prune',
      bytes: 0,
      ms: forget.ms,
      peakRssMiB: forget.peakRssMiB,
      note: `${forget.result.removed.length} snapshot removed, ${forget.result.pruned?.blobs ?? 0} blobs pruned; ${results.stored.objects} blobs, ${fixed(mb(results.stored.bytes), 1)} MB left`,
    },
  ];
  out('\n| phase | MB | seconds | MB/s | ratio | peak RSS MiB | notes |');
  out('|---|---:|---:|---:|---|---:|---|');
  for (const row of rows) {
    out(`| ${row.phase} | ${row.bytes === 0 ? '—' : fixed(mb(row.bytes), 1)} | ${fixed(row.ms / 1000, 2)} | ${mbps(row.bytes, row.ms)} | ${row.ratio ?? '—'} | ${row.peakRssMiB === undefined ? '—' : fixed(row.peakRssMiB)} | ${row.note} |`);
  }

  out(`\n### Backup and full restore, alternated (${rounds.length} round${rounds.length === 1 ? '' : 's'}; round 1 is the first backup above and the restore of the latest snapshot)\n`);
  out('| round | backup MB | backup s | backup MB/s | restore MB | restore s | restore MB/s | restore time per MB / backup\'s | peak RSS MiB (backup, restore) | load (1 min) at the end |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [index, round] of rounds.entries()) {
    out(
      `| ${index + 1} | ${fixed(mb(round.backup.result.bytes), 1)} | ${fixed(round.backup.ms / 1000, 2)} | ${mbps(round.backup.result.bytes, round.backup.ms)} | ${fixed(mb(round.restore.result.bytes), 1)} | ${fixed(round.restore.ms / 1000, 2)} | ${mbps(round.restore.result.bytes, round.restore.ms)} | ${fixed(restorePerMb(round), 2)} | ${fixed(round.backup.peakRssMiB)}, ${fixed(round.restore.peakRssMiB)} | ${fixed(round.load, 1)} |`,
    );
  }
  const backupMbps = median(rounds.map((round) => mb(round.backup.result.bytes) / (round.backup.ms / 1000)));
  const restoreMbps = median(rounds.map((round) => mb(round.restore.result.bytes) / (round.restore.ms / 1000)));
  const restoreRatio = median(rounds.map(restorePerMb));
  out(`| median | | | ${fixed(backupMbps, 1)} | | | ${fixed(restoreMbps, 1)} | ${fixed(restoreRatio, 2)} | | |`);

  out('\n### Memory of the docstore phases (this process)\n');
  out('| phase | RSS before MiB | peak RSS, first half of the bytes | peak RSS, second half | live memory after GC, first half (max) | live memory, second half (max) |');
  out('|---|---:|---:|---:|---:|---:|');
  const liveCell = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '—' : fixed(value, 1));
  for (const [phase, measure] of [
    ['first backup (timed)', first],
    [`memory probe: backup of all ${fixed(mb(probe.result.bytes))} MB into an empty repository (not timed)`, probe],
    ['full restore (timed)', restore],
    [`memory probe: full restore of that repository (not timed)`, restoreProbe],
  ] as const) {
    out(`| ${phase} | ${fixed(measure.startRssMiB)} | ${fixed(measure.halves[0])} | ${fixed(measure.halves[1])} | ${liveCell(measure.liveHalves?.[0])} | ${liveCell(measure.liveHalves?.[1])} |`);
  }
  out(
    `\nLive memory: \`heapUsed + external\` right after a forced full GC, sampled once a second, in the memory probes only (a backup and a restore, neither timed), because the GCs slow a phase down (the backup probe took ${fixed(probe.ms / 1000, 1)} s, the timed first backup ${fixed(first.ms / 1000, 1)} s; the restore probe ${fixed(restoreProbe.ms / 1000, 1)} s, the timed restore ${fixed(restore.ms / 1000, 1)} s; the machine's load varies too). Peak RSS also holds garbage V8 has not collected yet.`,
  );

  const ratio = baseline.ms / first.ms;
  const speedUp = first.ms / incremental.ms;
  // Flat: what the second half of the bytes keeps alive is no more than the first half did (+20 %).
  // NaN (no sample in a half: a phase of a second or two, at a small scale) makes the verdict n/a.
  const sampled = [probe, restoreProbe].every((measure) => measure.liveHalves !== undefined && !measure.liveHalves.some(Number.isNaN));
  const flat = (measure: Measured<unknown>) => (measure.liveHalves?.[1] ?? Infinity) <= (measure.liveHalves?.[0] ?? 0) * 1.2;
  const growth = (measure: Measured<unknown>) => (measure.liveHalves?.[1] ?? 0) - (measure.liveHalves?.[0] ?? 0);
  const worstGrowth = Math.max(growth(probe), growth(restoreProbe));
  out('\n### Targets\n');
  out('| target | measured | met |');
  out('|---|---:|:---:|');
  out(`| first backup at least as fast as gpg + rclone (ratio ≥ 1.0) | ${fixed(ratio, 2)} | ${ratio >= 1 ? 'yes' : 'no'} |`);
  out(`| incremental (1 % new) ≥ 20× faster than the first | ${fixed(speedUp, 1)}× | ${speedUp >= 20 ? 'yes' : 'no'} |`);
  out(
    `| memory flat: live memory in the second half of the bytes ≤ 1.2 × the first half's (backup and restore; ${fixed(mb(results.firstBytes))} MB, files up to 20 MiB) | ${fixed(worstGrowth, 1)} MiB more at worst; peak RSS ${fixed(Math.max(first.peakRssMiB, probe.peakRssMiB, restoreProbe.peakRssMiB, ...rounds.map((round) => Math.max(round.backup.peakRssMiB, round.restore.peakRssMiB))))} MiB | ${!sampled ? 'n/a (phases too short to sample twice)' : flat(probe) && flat(restoreProbe) ? 'yes' : 'no'} |`,
  );
  out(`| full restore within 1.2× of the backup's time per MB (median of ${rounds.length} alternated round${rounds.length === 1 ? '' : 's'}) | ${fixed(restoreRatio, 2)}× | ${restoreRatio <= 1.2 ? 'yes' : 'no'} |`);
}

await main();
