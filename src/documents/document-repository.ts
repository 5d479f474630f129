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

/** Records the building's owner if it has none yet, and returns the owner. */
export async function claimBuilding(db: Db, id: string, organizationId: string, now: string): Promise<string> {
  await db
    .insertInto('buildings')
    .values({ id, organization_id: organizationId, created_at: now })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
  const building = await findBuilding(db, id);
  return building?.organization_id ?? organizationId;
}

export async function insertDocument(db: Db, row: NewDocumentRow): Promise<void> {
  await db.insertInto('documents').values(row).execute();
}

export async function findDocument(db: Db, id: string): Promise<DocumentRow | undefined> {
  return db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
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

/** Documents deleted before `before`, oldest first. */
export async function listPurgeable(db: Db, before: string, limit: number): Promise<DocumentRow[]> {
  return db.selectFrom('documents').selectAll().where('deleted_at', '<', before).orderBy('deleted_at').limit(limit).execute();
}

export async function deleteDocumentRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('documents').where('id', '=', id).execute();
}

/** Every row's id, storage key and status, page by page in id order (for reconcile). */
export async function* documentKeys(db: Db, pageSize = 500): AsyncIterable<Array<{ id: string; storageKey: string; status: string }>> {
  let after = '';
  for (;;) {
    const rows = await db.selectFrom('documents').select(['id', 'storage_key', 'status']).where('id', '>', after).orderBy('id').limit(pageSize).execute();
    if (rows.length > 0) yield rows.map((row) => ({ id: row.id, storageKey: row.storage_key, status: row.status }));
    if (rows.length < pageSize) return;
    after = (rows[rows.length - 1] as { id: string }).id;
  }
}

/** Which of these storage keys have a row. */
export async function existingStorageKeys(db: Db, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.selectFrom('documents').select('storage_key').where('storage_key', 'in', keys).execute();
  return new Set(rows.map((row) => row.storage_key));
}

export async function documentCounts(db: Db): Promise<Array<{ type: string; count: number; bytes: number }>> {
  const rows = await db
    .selectFrom('documents')
    .select(['type', (eb) => eb.fn.countAll<string | number>().as('count'), (eb) => eb.fn.sum<string | number>('size').as('bytes')])
    .where('deleted_at', 'is', null)
    .groupBy('type')
    .execute();
  return rows.map((row) => ({ type: row.type, count: Number(row.count), bytes: Number(row.bytes ?? 0) }));
}

export interface BuildingUsage {
  documentCount: number;
  documentBytes: number;
  trashCount: number;
  trashBytes: number;
}

/** Each building's live documents' and its trash's counts and bytes (absent: no document). */
export async function buildingUsage(db: Db, buildingIds: readonly string[]): Promise<Map<string, BuildingUsage>> {
  if (buildingIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('documents as d')
    .select([
      'd.building_id',
      sql<string | number>`count(d.id) filter (where d.deleted_at is null)`.as('document_count'),
      sql<string | number | null>`sum(d.size) filter (where d.deleted_at is null)`.as('document_bytes'),
      sql<string | number>`count(d.id) filter (where d.deleted_at is not null)`.as('trash_count'),
      sql<string | number | null>`sum(d.size) filter (where d.deleted_at is not null)`.as('trash_bytes'),
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

/** Count and bytes of the documents in the trash, all organisations. */
export async function trashUsage(db: Db): Promise<{ count: number; bytes: number }> {
  const row = await db
    .selectFrom('documents')
    .select([(eb) => eb.fn.countAll<string | number>().as('count'), (eb) => eb.fn.sum<string | number | null>('size').as('bytes')])
    .where('deleted_at', 'is not', null)
    .executeTakeFirst();
  return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
}
