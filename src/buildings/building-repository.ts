import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { BuildingPosition } from './building-cursor.js';
import type { BuildingRow, BuildingRowUpdate, NewBuildingRow } from './buildings.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function findBuilding(db: Db, id: string): Promise<BuildingRow | undefined> {
  return db.selectFrom('buildings').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Inserts the building unless its id is taken (by any organisation): whether it was inserted. */
export async function insertBuilding(db: Db, row: NewBuildingRow): Promise<boolean> {
  const result = await db
    .insertInto('buildings')
    .values(row)
    .onConflict((conflict) => conflict.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function updateBuilding(db: Db, id: string, update: BuildingRowUpdate): Promise<BuildingRow | undefined> {
  await db.updateTable('buildings').set(update).where('id', '=', id).execute();
  return findBuilding(db, id);
}

export interface BuildingFilter {
  /** Only this organisation's buildings (all organisations when absent). */
  organizationId?: string;
  /** Only these buildings (board members and owners). */
  ids?: readonly string[];
  /** Continue after this position. */
  after?: BuildingPosition;
  limit: number;
}

/** Buildings by `name_key` (byte order on both databases), then id. */
export async function listBuildings(db: Db, filter: BuildingFilter): Promise<BuildingRow[]> {
  if (filter.ids !== undefined && filter.ids.length === 0) return [];
  let query = db.selectFrom('buildings').selectAll().orderBy('name_key').orderBy('id').limit(filter.limit);
  if (filter.organizationId !== undefined) query = query.where('organization_id', '=', filter.organizationId);
  if (filter.ids !== undefined) query = query.where('id', 'in', filter.ids);
  if (filter.after !== undefined) {
    const { nameKey, id } = filter.after;
    query = query.where((eb) => eb.or([eb('name_key', '>', nameKey), eb.and([eb('name_key', '=', nameKey), eb('id', '>', id)])]));
  }
  return query.execute();
}
