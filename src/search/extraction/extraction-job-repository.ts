import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { ExtractionJobRow } from '../search.table.js';

/**
 * A job's status: `pending` (waiting, maybe for a retry), `running` (leased), and the final ones:
 * `done`, `limited` (a limit stopped it: what was read before is indexed; `error` says which),
 * `failed` (every attempt failed), `unsupported` (a format docstore does not read), `ocr_off` (it
 * needs OCR or poppler and they are not installed), `excluded` (its type is excluded from the
 * index), `superseded` (a newer version came before it was read).
 */
export const JOB_STATUSES = ['pending', 'running', 'done', 'limited', 'failed', 'unsupported', 'ocr_off', 'excluded', 'superseded'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export type FinalStatus = Exclude<JobStatus, 'pending' | 'running'>;

type Db = Kysely<Database> | Transaction<Database>;
type Jobs = ExpressionBuilder<Database, 'extraction_jobs'>;

/** Due at `at`: pending and past its retry time, or running under a lapsed lease. */
const due = (at: string) => (eb: Jobs) =>
  eb.or([eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]), eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', at)])]);

/** This job, running under `owner`'s lease. */
const held = (job: ExtractionJobRow, owner: string) => (eb: Jobs) =>
  eb.and([eb('document_id', '=', job.document_id), eb('version', '=', job.version), eb('status', '=', 'running'), eb('lease_owner', '=', owner)]);

/** Queues the extraction of a version (nothing when it is queued already). */
export async function enqueueExtraction(db: Db, job: { documentId: string; version: number }, now: Date): Promise<void> {
  const at = now.toISOString();
  await db
    .insertInto('extraction_jobs')
    .values({ document_id: job.documentId, version: job.version, status: 'pending', next_attempt_at: at, created_at: at, updated_at: at })
    .onConflict((conflict) => conflict.columns(['document_id', 'version']).doNothing())
    .execute();
}

/**
 * Queues every document's current version that has no job (documents of before the index, a
 * database restored from a backup, the index turned on again). Returns how many were queued.
 */
export async function enqueueMissing(db: Db, now: Date): Promise<number> {
  const at = now.toISOString();
  const result = await sql`
    insert into extraction_jobs (document_id, version, status, attempts, next_attempt_at, created_at, updated_at)
    select v.document_id, v.version, 'pending', 0, ${at}, ${at}, ${at}
    from document_versions v join documents d on d.id = v.document_id and d.storage_key = v.storage_key
    where not exists (select 1 from extraction_jobs j where j.document_id = v.document_id and j.version = v.version)
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Queues every document's current version again, whatever its job's state (`docstore index rebuild`). Returns how many. */
export async function requeueAll(db: Kysely<Database>, now: Date): Promise<number> {
  const at = now.toISOString();
  await enqueueMissing(db, now);
  const result = await sql`
    update extraction_jobs set status = 'pending', attempts = 0, next_attempt_at = ${at}, lease_owner = null, lease_expires_at = null, error = null, updated_at = ${at}
    where exists (select 1 from document_versions v join documents d on d.id = v.document_id and d.storage_key = v.storage_key
                  where v.document_id = extraction_jobs.document_id and v.version = extraction_jobs.version)
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Claims one job that is due: pending and past its retry time, or running with a lapsed lease (its
 * instance died mid-way). Optimistic: the candidate is taken by an UPDATE that re-checks the same
 * conditions, so of two instances racing for one job exactly one gets it, on SQLite and on
 * PostgreSQL alike (PostgreSQL re-evaluates the WHERE on the row it waited for). The attempt count
 * goes up with the claim, so a job that kills its instance every time still ends `failed`.
 */
export async function claimJob(db: Kysely<Database>, owner: string, now: Date, leaseMs: number): Promise<ExtractionJobRow | undefined> {
  const at = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const candidates = await db.selectFrom('extraction_jobs').select(['document_id', 'version']).where(due(at)).orderBy('next_attempt_at').orderBy('document_id').limit(8).execute();
  for (const candidate of candidates) {
    const taken = await db
      .updateTable('extraction_jobs')
      .set((eb) => ({ status: 'running', lease_owner: owner, lease_expires_at: until, attempts: eb('attempts', '+', 1), updated_at: at }))
      .where('document_id', '=', candidate.document_id)
      .where('version', '=', candidate.version)
      .where(due(at))
      .returningAll()
      .executeTakeFirst();
    if (taken !== undefined) return taken;
  }
  return undefined;
}

/** Extends a held lease; false when it was lost (lapsed and taken by another instance). */
export async function renewLease(db: Kysely<Database>, job: ExtractionJobRow, owner: string, until: Date): Promise<boolean> {
  const result = await db
    .updateTable('extraction_jobs')
    .set({ lease_expires_at: until.toISOString() })
    .where(held(job, owner))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Ends a held job with a final status; false when the lease was lost meanwhile (the caller rolls back). */
export async function finishJob(db: Db, job: ExtractionJobRow, owner: string, outcome: { status: FinalStatus; method?: string | null; pages?: number | null; error?: string | null }, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('extraction_jobs')
    .set({
      status: outcome.status,
      method: outcome.method ?? null,
      pages: outcome.pages ?? null,
      error: outcome.error?.slice(0, 1000) ?? null,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now.toISOString(),
    })
    .where(held(job, owner))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Puts a failed attempt back in the queue for `retryAt`, or ends the job `failed` after its last attempt. */
export async function failAttempt(db: Kysely<Database>, job: ExtractionJobRow, owner: string, error: string, retryAt: Date | undefined, now: Date): Promise<void> {
  await db
    .updateTable('extraction_jobs')
    .set({
      status: retryAt === undefined ? 'failed' : 'pending',
      next_attempt_at: (retryAt ?? now).toISOString(),
      error: error.slice(0, 1000),
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now.toISOString(),
    })
    .where(held(job, owner))
    .execute();
}

/** Jobs by status (every status listed, zero included). */
export async function countJobs(db: Kysely<Database>): Promise<Record<JobStatus, number>> {
  const rows = await db.selectFrom('extraction_jobs').select(['status', (eb) => eb.fn.countAll<string | number>().as('count')]).groupBy('status').execute();
  const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
  for (const row of rows) if (row.status in counts) counts[row.status as JobStatus] = Number(row.count);
  return counts;
}

/** The latest jobs that ended without their whole text (limited, failed, unsupported, ocr_off), newest first. */
export async function problemJobs(db: Kysely<Database>, limit: number): Promise<ExtractionJobRow[]> {
  return db.selectFrom('extraction_jobs').selectAll().where('status', 'in', ['limited', 'failed', 'ocr_off', 'unsupported']).orderBy('updated_at', 'desc').limit(limit).execute();
}
