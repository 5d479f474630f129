import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { HandoverExportRow, HandoverExportRowUpdate, NewHandoverExportRow } from './handover-exports.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertExport(db: Db, row: NewHandoverExportRow): Promise<void> {
  await db.insertInto('handover_exports').values(row).execute();
}

export async function updateExport(db: Db, id: string, update: HandoverExportRowUpdate): Promise<void> {
  await db.updateTable('handover_exports').set(update).where('id', '=', id).execute();
}

export async function findExport(db: Db, id: string): Promise<HandoverExportRow | undefined> {
  return db.selectFrom('handover_exports').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function deleteExport(db: Db, id: string): Promise<void> {
  await db.deleteFrom('handover_exports').where('id', '=', id).execute();
}

/** A building's exports, newest first. */
export async function buildingExports(db: Db, buildingId: string, limit: number): Promise<HandoverExportRow[]> {
  return db.selectFrom('handover_exports').selectAll().where('building_id', '=', buildingId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
