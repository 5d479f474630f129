import { DocstoreError } from '../errors/docstore-error.js';

/** Codes of the metadata database: unreachable (HTTP 503), or a migration failed at start-up. */
export const DATABASE_ERROR_CODES = ['database.unavailable', 'db.migration_failed'] as const;

export type DatabaseErrorCode = (typeof DATABASE_ERROR_CODES)[number];

/** The metadata database cannot be reached, or did not answer in time (HTTP 503 `database.unavailable`). */
export class DatabaseUnavailable extends DocstoreError<'database.unavailable'> {
  constructor(cause: unknown) {
    super('database.unavailable', 'The metadata database is unreachable', { cause });
  }
}

/** A schema migration failed; `cause` is the driver's error. */
export class MigrationFailed extends DocstoreError<'db.migration_failed'> {
  constructor(migration: string | undefined, cause: unknown) {
    super('db.migration_failed', `Database migration ${migration ?? '(unknown)'} failed`, { cause, context: { migration } });
  }
}

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs that say "the server is not there or not answering", not "this statement is wrong":
 * connection exceptions (08…), statement or lock timeout and cancels (57014, 55P03), shutdowns
 * and start-ups (57P01–57P03), too many connections (53300).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57014', '55P03', '57P01', '57P02', '57P03', '53300']);

/** pg and pg-pool give no code for these; their messages are their contract. */
const PG_UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
];

/**
 * Whether a driver error means the database is unavailable (unreachable, timed out, shutting down,
 * busy beyond `busy_timeout`) rather than a failure of the statement itself. Used at the driver
 * boundary only: callers see `DatabaseUnavailable`.
 */
export function isUnavailability(error: unknown): boolean {
  if (error instanceof DatabaseUnavailable) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
    if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') return true;
  }
  return PG_UNAVAILABLE_MESSAGES.some((message) => error.message.startsWith(message));
}
