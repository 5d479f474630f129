import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { TaskPool } from '../lib/task-pool.js';
import { createHash } from 'node:crypto';
import type { BackupRepository, Snapshot, StoredBlob } from './repository/backup-repository.js';
import { openBlob, readManifest, rootCause } from './backup-restore.js';
import type { PrivateKey } from './format/openpgp-codec.js';

export interface VerifyOptions {
  repository: BackupRepository;
  /** With `readData`, decrypt each document and compare it with the manifest. */
  keys?: readonly PrivateKey[];
  /** Read the blobs: without keys, hash each ciphertext; with keys, decrypt and hash each document. */
  readData?: boolean;
  /** With `readData`: the share of documents to read, 0–100. @default 100 */
  samplePercent?: number;
  /** @default 4 */
  concurrency?: number;
  random?: () => number;
  onProblem?: (problem: VerifyProblem) => void;
}

export interface VerifyProblem {
  snapshotId: string;
  /** The blob concerned (every check). */
  blob?: string;
  /** The object key and the document it holds (with `readData`, which reads the manifest). */
  key?: string;
  code: 'backup.blob_missing' | 'backup.blob_size' | 'backup.blob_hash' | string;
  message: string;
}

export interface VerifySummary {
  snapshots: number;
  blobs: number;
  /** Documents decrypted and compared with the manifest (`readData`). */
  read: number;
  problems: VerifyProblem[];
}

/**
 * Checks a repository. Without a private key (the server can run it): every snapshot's blobs are
 * present with the ciphertext size and SHA-256 the snapshot recorded (the SHA-256 the storage keeps:
 * listed for a directory, a HEAD for S3); with `readData`, each blob is also downloaded and its
 * ciphertext hashed (bit rot, truncation), still without a key. With a key and `readData`: every manifest decrypts, and
 * every document (or a random `samplePercent` of them) decrypts, unpads and hashes to the manifest's
 * SHA-256; each blob is read once even when several snapshots share it.
 */
export async function verifyRepository(options: VerifyOptions): Promise<VerifySummary> {
  const { repository } = options;
  const problems: VerifyProblem[] = [];
  const report = (problem: VerifyProblem) => {
    problems.push(problem);
    options.onProblem?.(problem);
  };
  const snapshots = await repository.snapshots();
  const present = new Map<string, StoredBlob>();
  for await (const blob of repository.blobs()) present.set(blob.name, blob);

  const checked = new Map<string, VerifyProblem['code'] | 'ok'>();
  const pool = new TaskPool(options.concurrency ?? 4);
  for (const snapshot of snapshots) {
    for (const [name, size, sha256] of snapshot.blobs) {
      await pool.run(async () => {
        const outcome = checked.get(name) ?? (await checkBlob(repository, present.get(name), name, size, sha256));
        checked.set(name, typeof outcome === 'string' ? outcome : outcome.code);
        if (outcome === 'ok') return;
        const code = typeof outcome === 'string' ? outcome : outcome.code;
        report({ snapshotId: snapshot.id, blob: name, code, message: typeof outcome === 'string' ? messageOf(code) : outcome.message });
      });
    }
  }
  await pool.drain();

  let read = 0;
  if (options.readData === true && options.keys === undefined) {
    // Without a key: download every referenced blob once and hash its ciphertext (bit rot, truncation).
    const firstReference = new Map<string, { snapshot: Snapshot; sha256: string }>();
    for (const snapshot of snapshots) for (const [name, , sha256] of snapshot.blobs) if (!firstReference.has(name)) firstReference.set(name, { snapshot, sha256 });
    for (const [name, outcome] of checked) {
      if (outcome !== 'ok') continue;
      const { snapshot, sha256 } = firstReference.get(name) as { snapshot: Snapshot; sha256: string };
      await pool.run(async () => {
        read++;
        const problem = await hashBlob(repository, name, sha256);
        if (problem !== undefined) report({ snapshotId: snapshot.id, blob: name, ...problem });
      });
    }
    await pool.drain();
  }
  if (options.readData === true && options.keys !== undefined) {
    const keys = options.keys;
    const random = options.random ?? Math.random;
    const share = (options.samplePercent ?? 100) / 100;
    const readOutcome = new Map<string, { code: string; message: string } | 'ok'>();
    for (const snapshot of snapshots) {
      const cipherHashes = new Map(snapshot.blobs.map(([name, size, sha256]) => [name, { size, sha256 }]));
      let manifest;
      try {
        manifest = await readManifest(repository, snapshot, keys);
      } catch (error) {
        report({ snapshotId: snapshot.id, blob: snapshot.manifest.name, code: codeOf(error), message: (error as Error).message });
        continue;
      }
      const contents = [{ key: '(database dump)', ...manifest.database }, ...manifest.objects.filter(() => random() < share)];
      for (const content of contents) {
        await pool.run(async () => {
          let outcome = readOutcome.get(content.blob);
          if (outcome === undefined) {
            outcome = await readBlob(repository, cipherHashes, content, keys);
            readOutcome.set(content.blob, outcome);
            read++;
          }
          if (outcome !== 'ok') report({ snapshotId: snapshot.id, blob: content.blob, key: content.key, code: outcome.code, message: `${content.key}: ${outcome.message}` });
        });
      }
      await pool.drain();
    }
  }
  return { snapshots: snapshots.length, blobs: checked.size, read, problems };
}

async function checkBlob(
  repository: BackupRepository,
  listed: StoredBlob | undefined,
  name: string,
  size: number,
  sha256: string,
): Promise<'ok' | { code: string; message: string }> {
  if (listed === undefined) return { code: 'backup.blob_missing', message: messageOf('backup.blob_missing') };
  if (listed.size !== size) return { code: 'backup.blob_size', message: `the blob is ${listed.size} bytes, the snapshot recorded ${size}` };
  const stored = listed.sha256 ?? (await repository.statBlob(name))?.sha256;
  if (stored !== undefined && stored !== '' && stored !== sha256) return { code: 'backup.blob_hash', message: messageOf('backup.blob_hash') };
  return 'ok';
}

async function hashBlob(repository: BackupRepository, name: string, sha256: string): Promise<{ code: string; message: string } | undefined> {
  try {
    const hash = createHash('sha256');
    await pipeline(await repository.getBlob(name), hash);
    const actual = hash.digest('hex');
    return actual === sha256 ? undefined : { code: 'backup.blob_hash', message: `the blob's content hashes to ${actual}, the snapshot recorded ${sha256}` };
  } catch (error) {
    return { code: codeOf(error), message: (error as Error).message };
  }
}

async function readBlob(
  repository: BackupRepository,
  cipherHashes: ReadonlyMap<string, { size: number; sha256: string }>,
  content: { key: string; blob: string; size: number; sha256: string },
  keys: readonly PrivateKey[],
): Promise<'ok' | { code: string; message: string }> {
  try {
    const body = await openBlob(repository, cipherHashes, content, keys, content.key);
    await pipeline(body, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
    return 'ok';
  } catch (caught) {
    const error = rootCause(caught);
    return { code: codeOf(error), message: (error as Error).message };
  }
}

function messageOf(code: string): string {
  switch (code) {
    case 'backup.blob_missing':
      return 'a blob the snapshot needs is missing from the repository';
    case 'backup.blob_hash':
      return "the blob's stored SHA-256 differs from the one the snapshot recorded";
    default:
      return code;
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? (code === 'storage.not_found' ? 'backup.blob_missing' : code) : 'backup.read_failed';
}
