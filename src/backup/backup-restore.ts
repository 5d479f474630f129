import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { knownMigrations, migrateToLatest } from '../db/migrate.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { isStorageError } from '../storage/storage-errors.js';
import { TaskPool } from '../lib/task-pool.js';
import { BackupError } from './backup-errors.js';
import { decodeManifest, expectSha256, type Manifest, type ManifestObject } from './format/backup-manifest.js';
import type { BackupRepository, Snapshot } from './repository/backup-repository.js';
import { AUDIT_TABLES, DUMPED_TABLES, normaliseRow, openDump, type DumpReader, type Row } from './format/database-dump.js';
import { decryptBytes, decryptStream, type PrivateKey } from './format/openpgp-codec.js';
import { unpad } from './format/padding.js';
import { chain } from '../lib/stream-chain.js';
import { createWorkDir } from './work-dir.js';
import { addMissingFirstVersions } from '../documents/versions/document-version-repository.js';

export interface RestoreOptions {
  repository: BackupRepository;
  snapshot: Snapshot;
  keys: readonly PrivateKey[];
  /** The target storage, as the service sees it (through its decorators). */
  storage: ObjectStorage;
  db: Kysely<Database>;
  /** Overwrite what the target already holds. @default false */
  force?: boolean;
  /** Restore only these documents and/or every document of these buildings (default: everything). */
  documentIds?: readonly string[];
  buildingIds?: readonly string[];
  /** @default 4 */
  concurrency?: number;
  /** Called once, when the restore really begins: every check passed, nothing refused it. */
  onStart?: () => void;
  onObject?: (event: { key: string; bytes: number; error?: { code: string; message: string } }) => void;
}

export interface RestoreFailure {
  key: string;
  /** The document whose content this object is, when a row refers to it. */
  documentId?: string;
  code: string;
  message: string;
}

export interface RestoreSummary {
  snapshotId: string;
  objects: number;
  bytes: number;
  buildings: number;
  documents: number;
  /** Objects that could not be restored; their documents are restored with status `broken`. */
  failures: RestoreFailure[];
}

/**
 * Restores a snapshot: objects first (each verified against the manifest's SHA-256 before it becomes
 * visible), then the database rows, so that no row points at content that is not there. A document
 * whose object is missing, altered or undecryptable is restored with status `broken` and named in
 * `failures`; nothing else is skipped. A full restore refuses a target that already holds documents
 * or objects (`backup.target_not_empty`) unless `force`; a partial one refuses to replace existing
 * documents unless `force`.
 */
export async function restoreSnapshot(options: RestoreOptions): Promise<RestoreSummary> {
  const { repository, snapshot, keys, storage, db } = options;
  const partial = (options.documentIds?.length ?? 0) + (options.buildingIds?.length ?? 0) > 0;
  const manifest = await readManifest(repository, snapshot, keys);
  const cipherHashes = new Map(snapshot.blobs.map(([name, size, sha256]) => [name, { size, sha256 }]));
  const workDir = await createWorkDir('restore');
  let dump: DumpReader | undefined;
  try {
    const dumpFile = join(workDir, 'database');
    await pipeline(await openBlob(repository, cipherHashes, manifest.database, keys, 'the database dump'), createWriteStream(dumpFile, { mode: 0o600 }));
    dump = openDump(manifest.database.format, dumpFile);
    const known = new Set(knownMigrations());
    const unknown = (await dump.migrations()).filter((name) => !known.has(name));
    if (unknown.length > 0) throw BackupError.usage(`the snapshot's database has migrations this docstore does not know (${unknown.join(', ')}): restore with a newer docstore`);
    await migrateToLatest(db);

    const selectedDocuments: Row[] = [];
    const selectedVersions: Row[] = [];
    if (partial) {
      const documentIds = new Set(options.documentIds ?? []);
      const buildingIds = new Set(options.buildingIds ?? []);
      for await (const row of dump.rows('documents')) {
        if (documentIds.has(row.id as string) || buildingIds.has(row.building_id as string)) selectedDocuments.push(row);
      }
      const found = new Set(selectedDocuments.map((row) => row.id as string));
      const missing = [...documentIds].filter((id) => !found.has(id));
      if (missing.length > 0) throw new BackupError('backup.snapshot_not_found', `snapshot ${snapshot.id} holds no document ${missing.join(', ')}`);
      if (selectedDocuments.length === 0) throw new BackupError('backup.snapshot_not_found', `snapshot ${snapshot.id} holds no document of building ${[...buildingIds].join(', ')}`);
      for await (const row of dump.rows('document_versions')) if (found.has(row.document_id as string)) selectedVersions.push(row);
      if (options.force !== true) {
        const existing = await db.selectFrom('documents').select('id').where('id', 'in', [...found]).execute();
        if (existing.length > 0) throw new BackupError('backup.target_not_empty', `these documents exist already (use --force to replace them): ${existing.map((row) => row.id).join(', ')}`);
      }
    } else if (options.force !== true) {
      await assertEmpty(db, storage);
    }

    const wantedKeys = partial ? new Set([...selectedDocuments, ...selectedVersions].map((row) => row.storage_key as string)) : undefined;
    const objects = manifest.objects.filter((object) => wantedKeys === undefined || wantedKeys.has(object.key));
    options.onStart?.();
    const failures: RestoreFailure[] = [];
    let bytes = 0;
    const pool = new TaskPool(options.concurrency ?? 4);
    for (const object of objects) {
      await pool.run(async () => {
        try {
          await restoreObject(repository, cipherHashes, object, keys, storage);
          bytes += object.size;
          options.onObject?.({ key: object.key, bytes: object.size });
        } catch (caught) {
          const error = rootCause(caught);
          const failure = { key: object.key, code: codeOf(error), message: error instanceof Error ? error.message : String(error) };
          failures.push(failure);
          options.onObject?.({ key: object.key, bytes: 0, error: failure });
        }
      });
    }
    await pool.drain();

    // Rows whose object is absent from the snapshot (purged between the dump and the listing) or failed are broken.
    const restoredKeys = new Set(objects.map((object) => object.key));
    const failedKeys = new Set(failures.map((failure) => failure.key));
    // Every version's object (the current one is also its document's) is named once in the failures.
    const noteContent = (key: string, documentId: string) => {
      const failure = failures.find((item) => item.key === key);
      if (failure !== undefined) failure.documentId = documentId;
      else if (!restoredKeys.has(key)) failures.push({ key, documentId, code: 'backup.object_missing', message: 'the snapshot holds the row but not the object' });
    };
    const counts = await loadRows(db, dump, {
      force: options.force === true,
      ...(partial ? { documents: selectedDocuments, versions: selectedVersions } : {}),
      isBroken: (storageKey) => failedKeys.has(storageKey) || !restoredKeys.has(storageKey),
      onDocument: (row) => noteContent(row.storage_key as string, row.id as string),
      onVersion: (row) => noteContent(row.storage_key as string, row.document_id as string),
    });
    // A dump made before document versions: each document becomes version 1 of itself, as the migration does.
    await addMissingFirstVersions(db);
    return { snapshotId: snapshot.id, objects: objects.length - failedKeys.size, bytes, ...counts, failures };
  } finally {
    dump?.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Decrypts a snapshot's manifest (checking the ciphertext's SHA-256 first). */
export async function readManifest(repository: BackupRepository, snapshot: Snapshot, keys: readonly PrivateKey[]): Promise<Manifest> {
  const what = `the manifest of snapshot ${snapshot.id}`;
  let ciphertext: Buffer;
  try {
    ciphertext = await buffer(chain(await repository.getBlob(snapshot.manifest.name), expectSha256(snapshot.manifest.sha256, () => BackupError.integrity(what, 'its ciphertext does not match the SHA-256 the snapshot records'))));
  } catch (error) {
    throw error instanceof BackupError ? error : BackupError.integrity(what, `cannot be read (${codeOf(error)})`, error);
  }
  return decodeManifest(await decryptBytes(ciphertext, keys, what));
}

/**
 * A blob's plaintext as a stream, checked on the way: ciphertext SHA-256, OpenPGP integrity, padding,
 * and plaintext SHA-256 unless `plaintextCheckedByConsumer`: then the consumer must hash what it
 * receives against `content.sha256` and publish nothing on a mismatch (a put with `expectedSha256`
 * does both, so restore does not hash every byte twice).
 */
export async function openBlob(
  repository: BackupRepository,
  cipherHashes: ReadonlyMap<string, { size: number; sha256: string }>,
  content: { blob: string; size: number; sha256: string },
  keys: readonly PrivateKey[],
  what: string,
  plaintextCheckedByConsumer = false,
): Promise<Readable> {
  const expected = cipherHashes.get(content.blob);
  const ciphertext = chain(
    await repository.getBlob(content.blob),
    expectSha256(expected?.sha256, () => BackupError.integrity(what, 'its stored ciphertext was altered or truncated (SHA-256 mismatch)')),
  );
  const plaintext = await decryptStream(ciphertext, keys, what);
  if (plaintextCheckedByConsumer) return chain(plaintext, unpad(content.size, what));
  return chain(plaintext, unpad(content.size, what), expectSha256(content.sha256, () => plaintextMismatch(what)));
}

const plaintextMismatch = (what: string, cause?: unknown) => BackupError.integrity(what, 'the decrypted content does not match the SHA-256 in the manifest', cause);

async function restoreObject(
  repository: BackupRepository,
  cipherHashes: ReadonlyMap<string, { size: number; sha256: string }>,
  object: ManifestObject,
  keys: readonly PrivateKey[],
  storage: ObjectStorage,
): Promise<void> {
  // The put hashes the plaintext against the manifest's SHA-256 and stores nothing on a mismatch.
  const body = await openBlob(repository, cipherHashes, object, keys, object.key, true);
  try {
    await storage.put(object.key, body, {
      contentType: object.contentType,
      ...(object.contentDisposition === undefined ? {} : { contentDisposition: object.contentDisposition }),
      metadata: object.metadata,
      expectedSha256: object.sha256,
    });
  } catch (error) {
    if (isStorageError(error) && error.code === 'storage.integrity' && rootCause(error) === error) throw plaintextMismatch(object.key, error);
    throw error;
  }
}

async function assertEmpty(db: Kysely<Database>, storage: ObjectStorage): Promise<void> {
  const rows = await db.selectFrom('documents').select('id').limit(1).execute();
  const buildings = await db.selectFrom('buildings').select('id').limit(1).execute();
  if (rows.length + buildings.length > 0) throw new BackupError('backup.target_not_empty', 'the target database already holds documents or buildings: restore into an empty one, or use --force to overwrite');
  for await (const entry of storage.list({ pageSize: 1 })) {
    throw new BackupError('backup.target_not_empty', `the target storage is not empty (it holds ${entry.kind === 'object' ? entry.key : entry.prefix}): restore into an empty one, or use --force to overwrite`);
  }
}

async function loadRows(
  db: Kysely<Database>,
  dump: DumpReader,
  options: { force: boolean; documents?: Row[]; versions?: Row[]; isBroken: (storageKey: string) => boolean; onDocument: (row: Row) => void; onVersion: (row: Row) => void },
): Promise<{ buildings: number; documents: number }> {
  const wantedBuildings = options.documents === undefined ? undefined : new Set(options.documents.map((row) => row.building_id as string));
  const counts = { buildings: 0, documents: 0 };
  const partial = options.documents !== undefined;
  for (const table of DUMPED_TABLES) {
    // The audit trail comes back whole with a full restore (replacing the target's), never with a partial one.
    if (AUDIT_TABLES.has(table)) {
      if (partial) continue;
      await db.deleteFrom(table).execute();
    }
    const selected = table === 'documents' ? options.documents : table === 'document_versions' ? options.versions : undefined;
    const source: AsyncIterable<Row> | Row[] = selected ?? dump.rows(table);
    let batch: Row[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      await db.transaction().execute(async (trx) => {
        for (const row of rows) {
          // Buildings already there are kept (a partial restore adds documents to existing buildings).
          const insert = trx.insertInto(table).values(row as never);
          if (AUDIT_TABLES.has(table)) await insert.execute();
          else if (table === 'buildings') await insert.onConflict((conflict) => conflict.column('id').doNothing()).execute();
          else if (options.force && table === 'document_versions') await insert.onConflict((conflict) => conflict.columns(['document_id', 'version']).doUpdateSet(row as never)).execute();
          else if (options.force) await insert.onConflict((conflict) => conflict.column('id').doUpdateSet(row as never)).execute();
          else await insert.execute();
        }
      });
      if (table === 'buildings' || table === 'documents') counts[table] += rows.length;
    };
    for await (const original of source) {
      if (table === 'buildings' && wantedBuildings !== undefined && !wantedBuildings.has(original.id as string)) continue;
      const row = normaliseRow(table, original);
      if (table === 'documents') {
        options.onDocument(row);
        if (options.isBroken(row.storage_key as string)) row.status = 'broken';
      }
      if (table === 'document_versions') options.onVersion(row);
      batch.push(row);
      if (batch.length >= 200) await flush();
    }
    await flush();
  }
  if (!partial) await restartAuditIds(db);
  return counts;
}

/** PostgreSQL: the audit entries' id sequence continues after the restored ids, so new entries do not collide with them. */
async function restartAuditIds(db: Kysely<Database>): Promise<void> {
  if (!db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres')) return;
  await sql`SELECT setval(pg_get_serial_sequence('audit_entries', 'id'), COALESCE((SELECT MAX(id) FROM audit_entries), 1), (SELECT COUNT(*) > 0 FROM audit_entries))`.execute(db);
}

/** The backup error behind a storage error (a put fails with `storage.operation_failed` when its body stream did). */
export function rootCause(error: unknown): unknown {
  for (let current = error; current instanceof Error; current = current.cause) if (current instanceof BackupError) return current;
  return error;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'storage.not_found') return 'backup.blob_missing';
  return typeof code === 'string' ? code : 'backup.restore_failed';
}
