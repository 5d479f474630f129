import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A version's object as the integrity checks see it. */
export interface StoredVersion {
  documentId: string;
  version: number;
  storageKey: string;
  sha256: string;
  size: number;
  /** Whether this is the document's current content. */
  current: boolean;
  /** The document's status (`active` or `broken`). */
  status: string;
}

const columns = ['v.document_id', 'v.version', 'v.storage_key', 'v.sha256', 'v.size', 'd.storage_key as current_key', 'd.status'] as const;

function toStoredVersion(row: { document_id: string; version: number; storage_key: string; sha256: string; size: number | string; current_key: string; status: string }): StoredVersion {
  return {
    documentId: row.document_id,
    version: Number(row.version),
    storageKey: row.storage_key,
    sha256: row.sha256,
    size: Number(row.size),
    current: row.storage_key === row.current_key,
    status: row.status,
  };
}

/** The version stored under a key (keys are unique), or undefined when no version has it. */
export async function findVersionByKey(db: Db, storageKey: string): Promise<StoredVersion | undefined> {
  const row = await db.selectFrom('document_versions as v').innerJoin('documents as d', 'd.id', 'v.document_id').select(columns).where('v.storage_key', '=', storageKey).executeTakeFirst();
  return row === undefined ? undefined : toStoredVersion(row);
}

/** A document's versions, oldest first. */
export async function versionsOf(db: Db, documentId: string): Promise<StoredVersion[]> {
  const rows = await db.selectFrom('document_versions as v').innerJoin('documents as d', 'd.id', 'v.document_id').select(columns).where('v.document_id', '=', documentId).orderBy('v.version').execute();
  return rows.map(toStoredVersion);
}

/** Up to `limit` versions after a position, in (document, version) order: the scrub's walk. */
export async function versionsAfter(db: Db, after: { documentId: string; version: number } | undefined, limit: number): Promise<StoredVersion[]> {
  let query = db.selectFrom('document_versions as v').innerJoin('documents as d', 'd.id', 'v.document_id').select(columns);
  if (after !== undefined) {
    query = query.where((eb) => eb.or([eb('v.document_id', '>', after.documentId), eb.and([eb('v.document_id', '=', after.documentId), eb('v.version', '>', after.version)])]));
  }
  const rows = await query.orderBy('v.document_id').orderBy('v.version').limit(limit).execute();
  return rows.map(toStoredVersion);
}

/** How many versions there are (the scrub's pass length). */
export async function countVersions(db: Db): Promise<number> {
  const row = await db.selectFrom('document_versions').select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** How many documents are `broken`. */
export async function countBrokenDocuments(db: Db): Promise<number> {
  const row = await db.selectFrom('documents').select((eb) => eb.fn.countAll<number | string>().as('count')).where('status', '=', 'broken').executeTakeFirst();
  return Number(row?.count ?? 0);
}

export async function setDocumentStatus(db: Db, documentId: string, status: 'active' | 'broken', updatedAt: string): Promise<void> {
  await db.updateTable('documents').set({ status, updated_at: updatedAt }).where('id', '=', documentId).execute();
}
