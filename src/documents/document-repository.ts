import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { BuildingRow } from '../buildings/buildings.table.js';
import type { DocumentRow, DocumentRowUpdate, NewDocumentRow } from './documents.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface ListPosition {
  createdAt: string;
  id: string;
}

export interface ListFilter {
  buildingId: string;
  type?: string;
  /** Searched in titles and file names, case-insensitively. */
  q?: string;
  /** true: the trash; false: live documents. */
  deleted: boolean;
  limit: number;
  /** Continue after this position (newest first). */
  after?: ListPosition;
}

export async function findBuilding(db: Db, id: string): Promise<BuildingRow | undefined> {
  return db.selectFrom('buildings').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertDocument(db: Db, row: NewDocumentRow): Promise<void> {
  await db.insertInto('documents').values(row).execute();
}

export async function findDocument(db: Db, id: string): Promise<DocumentRow | undefined> {
  return db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The row with the number of the version its content is (`current_version`, null for a document
 * without version rows), in one statement: what serving the content records.
 */
export async function findDocumentWithVersion(db: Db, id: string): Promise<(DocumentRow & { current_version: number | null }) | undefined> {
  const row = await db
    .selectFrom('documents as d')
    .leftJoin('document_versions as v', 'v.storage_key', 'd.storage_key')
    .selectAll('d')
    .select('v.version as current_version')
    .where('d.id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : { ...row, current_version: row.current_version === null ? null : Number(row.current_version) };
}

/** Newest first, by (created_at, id) so that a page boundary is stable under concurrent inserts. */
export async function listDocuments(db: Db, filter: ListFilter): Promise<DocumentRow[]> {
  let query = db
    .selectFrom('documents')
    .selectAll()
    .where('building_id', '=', filter.buildingId)
    .where('deleted_at', filter.deleted ? 'is not' : 'is', null);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (filter.q !== undefined && filter.q !== '') {
    const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(title)`, 'like', sql`${pattern} escape '\\'`),
        eb(sql`lower(file_name)`, 'like', sql`${pattern} escape '\\'`),
      ]),
    );
  }
  if (filter.after !== undefined) {
    const { createdAt, id } = filter.after;
    query = query.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

export async function updateDocument(db: Db, id: string, update: DocumentRowUpdate): Promise<DocumentRow | undefined> {
  await db.updateTable('documents').set(update).where('id', '=', id).execute();
  return findDocument(db, id);
}

/**
 * Documents deleted at or before `before`, oldest first (by deletion time, then id), after `after`
 * when given. At or before: with a trash of 0 days, a document deleted in the same millisecond as
 * the purge's clock reading is purged too.
 */
export async function listPurgeable(db: Db, before: string, limit: number, after?: { deletedAt: string; id: string }): Promise<DocumentRow[]> {
  let query = db.selectFrom('documents').selectAll().where('deleted_at', '<=', before);
  if (after !== undefined) {
    query = query.where((eb) => eb.or([eb('deleted_at', '>', after.deletedAt), eb.and([eb('deleted_at', '=', after.deletedAt), eb('id', '>', after.id)])]));
  }
  return query.orderBy('deleted_at').orderBy('id').limit(limit).execute();
}

export async function deleteDocumentRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('documents').where('id', '=', id).execute();
}

/** Live documents by type: how many, and the bytes of all their versions. */
export async function documentCounts(db: Db): Promise<Array<{ type: string; count: number; bytes: number }>> {
  const rows = await db
    .selectFrom('documents as d')
    .innerJoin('document_versions as v', 'v.document_id', 'd.id')
    .select(['d.type', sql<string | number>`count(distinct d.id)`.as('count'), (eb) => eb.fn.sum<string | number>('v.size').as('bytes')])
    .where('d.deleted_at', 'is', null)
    .groupBy('d.type')
    .execute();
  return rows.map((row) => ({ type: row.type, count: Number(row.count), bytes: Number(row.bytes ?? 0) }));
}

export interface BuildingUsage {
  documentCount: number;
  documentBytes: number;
  trashCount: number;
  trashBytes: number;
}

/** Each building's live documents' and its trash's counts and bytes, every version counted (absent: no document). */
export async function buildingUsage(db: Db, buildingIds: readonly string[]): Promise<Map<string, BuildingUsage>> {
  if (buildingIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('documents as d')
    .innerJoin('document_versions as v', 'v.document_id', 'd.id')
    .select([
      'd.building_id',
      sql<string | number>`count(distinct d.id) filter (where d.deleted_at is null)`.as('document_count'),
      sql<string | number | null>`sum(v.size) filter (where d.deleted_at is null)`.as('document_bytes'),
      sql<string | number>`count(distinct d.id) filter (where d.deleted_at is not null)`.as('trash_count'),
      sql<string | number | null>`sum(v.size) filter (where d.deleted_at is not null)`.as('trash_bytes'),
    ])
    .where('d.building_id', 'in', buildingIds)
    .groupBy('d.building_id')
    .execute();
  return new Map(
    rows.map((row) => [
      row.building_id,
      {
        documentCount: Number(row.document_count),
        documentBytes: Number(row.document_bytes ?? 0),
        trashCount: Number(row.trash_count),
        trashBytes: Number(row.trash_bytes ?? 0),
      },
    ]),
  );
}

/** Count and bytes (every version) of the documents in the trash, all organisations. */
export async function trashUsage(db: Db): Promise<{ count: number; bytes: number }> {
  const row = await db
    .selectFrom('documents as d')
    .innerJoin('document_versions as v', 'v.document_id', 'd.id')
    .select([sql<string | number>`count(distinct d.id)`.as('count'), (eb) => eb.fn.sum<string | number | null>('v.size').as('bytes')])
    .where('d.deleted_at', 'is not', null)
    .executeTakeFirst();
  return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
}
