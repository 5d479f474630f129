import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat as fileStat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chain } from '../lib/stream-chain.js';
import type { Kysely } from 'kysely';
import type { Database, DatabaseConfig } from '../db/database.js';
import type { ObjectInfo, ObjectStorage } from '../storage/object-storage.js';
import { isStorageError } from '../storage/storage-errors.js';
import { TaskPool } from '../lib/task-pool.js';
import { BackupError } from './backup-errors.js';
import { blobName, encodeManifest, expectSha256, type Manifest, type ManifestObject } from './format/backup-manifest.js';
import type { BackupRepository, BlobRef, Snapshot } from './repository/backup-repository.js';
import type { RepositoryAttachment } from './repository/backup-state.js';
import { dumpDatabase } from './format/database-dump.js';
import { latestCheckpoints } from '../audit/evidence/audit-chain-repository.js';
import { encryptBytes, encryptStream, readPublicKeys, type PublicKey } from './format/openpgp-codec.js';
import { padTo } from './format/padding.js';
import { RepositoryLock } from './repository/repository-lock.js';
import { createWorkDir } from './work-dir.js';
import { isTransientKey } from '../storage/internal-keys.js';

export interface BackupRunOptions {
  repository: BackupRepository;
  attachment: RepositoryAttachment;
  /** The documents' storage, as the service sees it (through its decorators). */
  storage: ObjectStorage;
  db: Kysely<Database>;
  database: DatabaseConfig;
  docstoreVersion: string;
  /** Objects read, encrypted and uploaded at once. @default 4 */
  concurrency?: number;
  now?: () => Date;
  /** Called once, when the run really begins: the repository's lock is held. */
  onStart?: () => void;
  /**
   * Seals and signs the audit chains' heads before the database is dumped (`AuditCheckpointer.checkpoint`),
   * so that the snapshot carries a checkpoint of every entry it holds. Without it, the latest checkpoints
   * already in the database go into the manifest.
   */
  checkpointAudit?: () => Promise<unknown>;
  onObject?: (event: BackupObjectEvent) => void;
}

export interface BackupObjectEvent {
  key: string;
  /** `upload`: new content sent; `reuse`: already in the repository; `error`: see `error`. */
  action: 'upload' | 'reuse' | 'error';
  /** Plaintext bytes of the object. */
  bytes: number;
  /** Ciphertext bytes sent (0 when reused). */
  uploadedBytes: number;
  error?: { code: string; message: string };
}

export interface BackupSummary {
  snapshotId: string;
  time: string;
  objects: number;
  bytes: number;
  uploaded: number;
  reused: number;
  /** Ciphertext bytes sent, the database dump and the manifest included. */
  uploadedBytes: number;
  durationMs: number;
}

/**
 * Takes a snapshot: the metadata database first (so that every row it holds has its object, which
 * was written before the row), then every object of the storage, the trash's included. Content the
 * repository already holds (same plaintext SHA-256) is not read again; new content is padded,
 * encrypted to the pinned recipients and uploaded create-only. The manifest and then the snapshot are
 * written last: a run that fails or is killed leaves no snapshot, and the next run reuses every blob
 * it uploaded. Fails with `backup.incomplete`, naming the objects, when any object could not be saved.
 */
export async function runBackup(options: BackupRunOptions): Promise<BackupSummary> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const { repository, attachment } = options;
  const recipients = await readPublicKeys(attachment.recipients.join('\n'), 'the pinned recipients');
  const namingKey = Buffer.from(attachment.namingKey, 'base64');
  const lock = await RepositoryLock.acquire(repository.storage, 'shared', now);
  options.onStart?.();
  const workDir = await createWorkDir('backup');
  try {
    const time = now().toISOString();
    const snapshotId = `${time.slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
    const blobs = await knownBlobs(repository);
    const uploadedBytes = { total: 0 };
    // Blobs being uploaded: objects with the same content read at the same time share one upload.
    const uploading = new Map<string, Promise<BlobRef>>();
    const store: Store = async (name, makeBody) => {
      const present = blobs.get(name);
      if (present !== undefined) return { ref: await resolve(repository, blobs, present), uploaded: false };
      const pending = uploading.get(name);
      if (pending !== undefined) return { ref: await pending, uploaded: false };
      const upload = (async () => {
        const ref = await repository.putBlob(name, await makeBody());
        blobs.set(name, ref);
        uploadedBytes.total += ref.size;
        return ref;
      })();
      uploading.set(name, upload);
      try {
        return { ref: await upload, uploaded: true };
      } finally {
        uploading.delete(name);
      }
    };

    await options.checkpointAudit?.();
    const auditCheckpoints = await latestCheckpoints(options.db);
    const dumpFile = join(workDir, 'database');
    const format = await dumpDatabase(options.db, options.database, dumpFile);
    const dumpSize = (await fileStat(dumpFile)).size;
    const dumpSha256 = await sha256OfFile(dumpFile);
    const dumpBlob = await store(blobName(namingKey, dumpSha256), async () => encryptStream(chain(createReadStream(dumpFile), padTo(dumpSize)), recipients));

    const objects: ManifestObject[] = [];
    const failures: Array<{ key: string; code: string; message: string }> = [];
    let uploaded = 0;
    let reused = 0;
    let bytes = 0;
    const pool = new TaskPool(options.concurrency ?? 4);
    for await (const entry of options.storage.list()) {
      // Unfinished resumable uploads (and the self-check's probe) are no documents: not backed up.
      if (entry.kind !== 'object' || isTransientKey(entry.key)) continue;
      await pool.run(async () => {
        try {
          const saved = await saveObject(options.storage, entry.key, namingKey, recipients, store);
          if (saved === undefined) return; // deleted since the listing (purged from the trash)
          objects.push(saved.object);
          bytes += saved.object.size;
          if (saved.uploaded) uploaded++;
          else reused++;
          options.onObject?.({ key: entry.key, action: saved.uploaded ? 'upload' : 'reuse', bytes: saved.object.size, uploadedBytes: saved.uploaded ? saved.ref.size : 0 });
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          const failure = { key: entry.key, code: typeof code === 'string' ? code : 'backup.object_failed', message: error instanceof Error ? error.message : String(error) };
          failures.push(failure);
          options.onObject?.({ key: entry.key, action: 'error', bytes: 0, uploadedBytes: 0, error: failure });
        }
      });
    }
    await pool.drain();
    if (failures.length > 0) {
      throw new BackupError(
        'backup.incomplete',
        `${failures.length} object(s) could not be backed up, so no snapshot was written (what was uploaded is reused by the next run):\n${failures
          .slice(0, 20)
          .map((failure) => `  ${failure.key}: ${failure.code}: ${failure.message}`)
          .join('\n')}`,
        { context: { failures } },
      );
    }
    objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

    const manifest: Manifest = {
      format: 'docstore-backup-manifest',
      version: 1,
      snapshotId,
      time,
      docstoreVersion: options.docstoreVersion,
      source: { storage: options.storage.name, database: options.database.dialect },
      database: { format, blob: dumpBlob.ref.name, size: dumpSize, sha256: dumpSha256 },
      objects,
      auditCheckpoints,
    };
    const manifestBytes = encodeManifest(manifest);
    const manifestSha256 = createHash('sha256').update(manifestBytes).digest('hex');
    const manifestBlob = await store(blobName(namingKey, manifestSha256), async () => encryptBytes(manifestBytes, recipients));

    const referenced = new Map<string, BlobRef>([[dumpBlob.ref.name, dumpBlob.ref], [manifestBlob.ref.name, manifestBlob.ref]]);
    for (const object of objects) referenced.set(object.blob, blobs.get(object.blob) as BlobRef);
    const snapshot: Snapshot = {
      format: 'docstore-backup-snapshot',
      version: 1,
      id: snapshotId,
      time,
      manifest: manifestBlob.ref,
      blobs: [...referenced.values()].map((ref) => [ref.name, ref.size, ref.sha256]),
    };
    await repository.writeSnapshot(snapshot);
    return { snapshotId, time, objects: objects.length, bytes, uploaded, reused, uploadedBytes: uploadedBytes.total, durationMs: Math.round(performance.now() - started) };
  } finally {
    await rm(workDir, { recursive: true, force: true });
    await lock.release();
  }
}

/** Uploads a blob unless the repository holds it; `makeBody` runs only for an upload. */
type Store = (name: string, makeBody: () => Promise<Readable | Uint8Array>) => Promise<{ ref: BlobRef; uploaded: boolean }>;

async function saveObject(
  storage: ObjectStorage,
  key: string,
  namingKey: Buffer,
  recipients: readonly PublicKey[],
  store: Store,
): Promise<{ object: ManifestObject; ref: BlobRef; uploaded: boolean } | undefined> {
  let info: ObjectInfo;
  try {
    info = await storage.stat(key);
  } catch (error) {
    if (isStorageError(error) && error.code === 'storage.not_found') return undefined;
    throw error;
  }
  const sha256 = info.sha256 ?? (await sha256OfObject(storage, key));
  const { ref, uploaded } = await store(blobName(namingKey, sha256), async () => {
    const { body } = await storage.get(key);
    const checked = expectSha256(sha256, (actual) => BackupError.integrity(key, `the object's content hashes to ${actual}, not to its recorded SHA-256 ${sha256}`));
    return encryptStream(chain(body, checked, padTo(info.size)), recipients);
  });
  const object: ManifestObject = {
    key,
    size: info.size,
    sha256,
    blob: ref.name,
    contentType: info.contentType,
    ...(info.contentDisposition === undefined ? {} : { contentDisposition: info.contentDisposition }),
    metadata: info.metadata,
    lastModified: info.lastModified.toISOString(),
  };
  return { object, ref, uploaded };
}

/** Blobs in the repository: those named by snapshots (with their hashes) and any other present one. */
async function knownBlobs(repository: BackupRepository): Promise<Map<string, BlobRef | { name: string; size: number; sha256?: string }>> {
  const fromSnapshots = new Map<string, BlobRef>();
  for (const snapshot of await repository.snapshots()) {
    for (const [name, size, sha256] of snapshot.blobs) fromSnapshots.set(name, { name, size, sha256 });
  }
  const present = new Map<string, BlobRef | { name: string; size: number; sha256?: string }>();
  for await (const blob of repository.blobs()) present.set(blob.name, fromSnapshots.get(blob.name) ?? blob);
  return present;
}

async function resolve(repository: BackupRepository, blobs: Map<string, BlobRef | { name: string; size: number; sha256?: string }>, blob: { name: string; size: number; sha256?: string }): Promise<BlobRef> {
  if (blob.sha256 !== undefined && blob.sha256 !== '') return blob as BlobRef;
  const stored = await repository.statBlob(blob.name);
  if (stored === undefined || stored.sha256 === '') throw BackupError.integrity(`blob ${blob.name}`, 'is listed but has no stored SHA-256');
  blobs.set(blob.name, stored);
  return stored;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function sha256OfObject(storage: ObjectStorage, key: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline((await storage.get(key)).body, hash);
  return hash.digest('hex');
}
