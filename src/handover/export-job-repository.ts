import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { HandoverExportRow, HandoverExportRowUpdate, NewHandoverExportRow } from './handover-exports.table.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The row of a job that starts: running, nothing written yet. */
export function runningExportRow(job: Pick<NewHandoverExportRow, 'id' | 'organization_id' | 'building_id' | 'include_trash' | 'requested_by' | 'created_at' | 'lease_owner' | 'lease_expires_at'>): NewHandoverExportRow {
  const empty = { storage_key: null, file_name: null, size: null, sha256: null, documents: null, versions: null, error_code: null, error_message: null, finished_at: null };
  return { ...job, status: 'running', ...empty };
}

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

/** Moves the lease of a job this instance still runs to `until`; false when the job is no longer its own (marked abandoned meanwhile). */
export async function renewLease(db: Db, id: string, owner: string, until: string): Promise<boolean> {
  const result = await db.updateTable('handover_exports').set({ lease_expires_at: until }).where('id', '=', id).where('status', '=', 'running').where('lease_owner', '=', owner).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Ends a job this instance runs (ready or failed) and drops its lease; false when another instance had already marked it abandoned. */
export async function finishOwnExport(db: Db, id: string, owner: string, update: HandoverExportRowUpdate): Promise<boolean> {
  const result = await db
    .updateTable('handover_exports')
    .set({ ...update, lease_owner: null, lease_expires_at: null })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Ready jobs finished before `before`, oldest first. */
export async function expiredExports(db: Db, before: string, limit: number): Promise<HandoverExportRow[]> {
  return db.selectFrom('handover_exports').selectAll().where('status', '=', 'ready').where('finished_at', '<', before).orderBy('finished_at').limit(limit).execute();
}

/** Running jobs whose lease lapsed before `at`, or which never had one (left by a version without heartbeats). */
export async function abandonedExports(db: Db, at: string, limit: number): Promise<HandoverExportRow[]> {
  return db
    .selectFrom('handover_exports')
    .selectAll()
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', at)]))
    .orderBy('created_at')
    .limit(limit)
    .execute();
}

/**
 * Marks one abandoned job failed, if it still is abandoned at `at` (a live instance renewing its
 * lease in between keeps it); true when this call marked it.
 */
export async function failAbandoned(db: Db, id: string, at: string, error: { code: string; message: string }): Promise<boolean> {
  const result = await db
    .updateTable('handover_exports')
    .set({ status: 'failed', error_code: error.code, error_message: error.message, finished_at: at, lease_owner: null, lease_expires_at: null })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', at)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
