import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';

/** The one scrub docstore runs (a row of `scrub_state`). */
export const SCRUB_NAME = 'default';

export interface ScrubPosition {
  documentId: string;
  version: number;
}

export interface ScrubState {
  /** The last version read by the current pass; undefined at the start of a pass. */
  cursor?: ScrubPosition;
  passStartedAt?: Date;
  lastCompletedAt?: Date;
}

function dateOf(value: string | Date | null): Date | undefined {
  return value === null ? undefined : new Date(value);
}

/** Creates the scrub's row if it is not there yet. */
export async function ensureScrubRow(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('scrub_state')
    .values({ name: SCRUB_NAME, cursor_document_id: null, cursor_version: null, pass_started_at: null, last_completed_at: null, lease_owner: null, lease_expires_at: null })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
}

export async function readScrubState(db: Kysely<Database>): Promise<ScrubState> {
  const row = await db.selectFrom('scrub_state').selectAll().where('name', '=', SCRUB_NAME).executeTakeFirst();
  if (row === undefined) return {};
  const passStartedAt = dateOf(row.pass_started_at);
  const lastCompletedAt = dateOf(row.last_completed_at);
  return {
    ...(row.cursor_document_id === null || row.cursor_version === null ? {} : { cursor: { documentId: row.cursor_document_id, version: Number(row.cursor_version) } }),
    ...(passStartedAt === undefined ? {} : { passStartedAt }),
    ...(lastCompletedAt === undefined ? {} : { lastCompletedAt }),
  };
}

/**
 * Takes (or renews) the lease for `owner` until `until`: succeeds when nobody holds it, when its
 * holder's lease has lapsed, or when `owner` holds it already. One conditional update, so of two
 * instances asking at once one gets it.
 */
export async function acquireLease(db: Kysely<Database>, owner: string, now: Date, until: Date): Promise<boolean> {
  const result = await db
    .updateTable('scrub_state')
    .set({ lease_owner: owner, lease_expires_at: until.toISOString() })
    .where('name', '=', SCRUB_NAME)
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_expires_at', '<', now.toISOString())]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function releaseLease(db: Kysely<Database>, owner: string): Promise<void> {
  await db.updateTable('scrub_state').set({ lease_owner: null, lease_expires_at: null }).where('name', '=', SCRUB_NAME).where('lease_owner', '=', owner).execute();
}

/** Records how far the pass has got (only while `owner` holds the lease). */
export async function saveCursor(db: Kysely<Database>, owner: string, cursor: ScrubPosition, passStartedAt: Date): Promise<void> {
  await db
    .updateTable('scrub_state')
    .set({ cursor_document_id: cursor.documentId, cursor_version: cursor.version, pass_started_at: passStartedAt.toISOString() })
    .where('name', '=', SCRUB_NAME)
    .where('lease_owner', '=', owner)
    .execute();
}

/** The pass read every version: the next run starts a new one. */
export async function completePass(db: Kysely<Database>, owner: string, completedAt: Date): Promise<void> {
  await db
    .updateTable('scrub_state')
    .set({ cursor_document_id: null, cursor_version: null, pass_started_at: null, last_completed_at: completedAt.toISOString() })
    .where('name', '=', SCRUB_NAME)
    .where('lease_owner', '=', owner)
    .execute();
}

/** Forgets the current pass's position (`--restart`). */
export async function restartPass(db: Kysely<Database>, owner: string): Promise<void> {
  await db.updateTable('scrub_state').set({ cursor_document_id: null, cursor_version: null, pass_started_at: null }).where('name', '=', SCRUB_NAME).where('lease_owner', '=', owner).execute();
}
