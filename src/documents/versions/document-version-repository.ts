import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { DocumentVersionRow, NewDocumentVersionRow } from './document-versions.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertVersion(db: Db, row: NewDocumentVersionRow): Promise<void> {
  await db.insertInto('document_versions').values(row).execute();
}

/** A document's versions, newest first. */
export async function listVersions(db: Db, documentId: string): Promise<DocumentVersionRow[]> {
  return db.selectFrom('document_versions').selectAll().where('document_id', '=', documentId).orderBy('version', 'desc').execute();
}

export async function findVersion(db: Db, documentId: string, version: number): Promise<DocumentVersionRow | undefined> {
  return db.selectFrom('document_versions').selectAll().where('document_id', '=', documentId).where('version', '=', version).executeTakeFirst();
}

/** The highest version number of a document (0 when it has none). */
export async function latestVersion(db: Db, documentId: string): Promise<number> {
  const row = await db
    .selectFrom('document_versions')
    .select((eb) => eb.fn.max<number | string | null>('version').as('latest'))
    .where('document_id', '=', documentId)
    .executeTakeFirst();
  return Number(row?.latest ?? 0);
}

/** The storage keys of every version of a document. */
export async function versionKeysOf(db: Db, documentId: string): Promise<string[]> {
  const rows = await db.selectFrom('document_versions').select('storage_key').where('document_id', '=', documentId).orderBy('version').execute();
  return rows.map((row) => row.storage_key);
}

/** Which of these storage keys belong to a version of a document. */
export async function existingVersionKeys(db: Db, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.selectFrom('document_versions').select('storage_key').where('storage_key', 'in', keys).execute();
  return new Set(rows.map((row) => row.storage_key));
}

export interface VersionKey {
  documentId: string;
  version: number;
  storageKey: string;
  /** Whether this is the document's current content (the key its `documents` row holds). */
  current: boolean;
  /** The document's status (`active` or `broken`). */
  status: string;
}

/** Every version's storage key, page by page in (document, version) order (for reconcile). */
export async function* versionKeys(db: Db, pageSize = 500): AsyncIterable<VersionKey[]> {
  let after: { documentId: string; version: number } | undefined;
  for (;;) {
    let query = db
      .selectFrom('document_versions as v')
      .innerJoin('documents as d', 'd.id', 'v.document_id')
      .select(['v.document_id', 'v.version', 'v.storage_key', 'd.storage_key as current_key', 'd.status'])
      .orderBy('v.document_id')
      .orderBy('v.version')
      .limit(pageSize);
    if (after !== undefined) {
      const { documentId, version } = after;
      query = query.where((eb) => eb.or([eb('v.document_id', '>', documentId), eb.and([eb('v.document_id', '=', documentId), eb('v.version', '>', version)])]));
    }
    const rows = await query.execute();
    if (rows.length > 0) {
      yield rows.map((row) => ({ documentId: row.document_id, version: Number(row.version), storageKey: row.storage_key, current: row.storage_key === row.current_key, status: row.status }));
    }
    const last = rows[rows.length - 1];
    if (rows.length < pageSize || last === undefined) return;
    after = { documentId: last.document_id, version: Number(last.version) };
  }
}

/**
 * Records version 1 of every document that has no version row: for rows written without one (a
 * backup dump made before versions existed), as the migration did for existing documents.
 */
export async function addMissingFirstVersions(db: Db): Promise<number> {
  const result = await sql`
    insert into document_versions (document_id, version, storage_key, size, sha256, mime_type, file_name, uploaded_by, created_at)
    select d.id, 1, d.storage_key, d.size, d.sha256, d.mime_type, d.file_name, d.uploaded_by, d.created_at from documents d
    where not exists (select 1 from document_versions v where v.document_id = d.id)
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export interface CurrentContent {
  storage_key: string;
  file_name: string;
  mime_type: string;
  size: number;
  sha256: string;
  updated_at: string;
}

/**
 * Makes a new content the document's current one, if its current key is still `expectedKey` and it
 * is not in the trash (a compare-and-set: of two versions added at once, one wins). Returns whether
 * it did. A `broken` document becomes `active` again: its current content is there.
 */
export async function replaceCurrentContent(db: Db, documentId: string, expectedKey: string, content: CurrentContent): Promise<boolean> {
  const result = await db
    .updateTable('documents')
    .set({ ...content, status: 'active' })
    .where('id', '=', documentId)
    .where('storage_key', '=', expectedKey)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The document and version whose object is under `storageKey` (keys are unique), or undefined when none is. */
export async function contentOfKey(db: Db, storageKey: string): Promise<{ id: string; organization_id: string; building_id: string; version: number } | undefined> {
  const row = await db
    .selectFrom('document_versions as v')
    .innerJoin('documents as d', 'd.id', 'v.document_id')
    .select(['d.id', 'd.organization_id', 'd.building_id', 'v.version'])
    .where('v.storage_key', '=', storageKey)
    .executeTakeFirst();
  return row === undefined ? undefined : { ...row, version: Number(row.version) };
}
