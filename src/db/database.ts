import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BuildingsTable } from '../buildings/buildings.table.js';
import type { DocumentsTable } from '../documents/documents.table.js';
import type { HandoverExportsTable } from '../handover/handover-exports.table.js';
import type { IdempotencyKeysTable } from '../idempotency/idempotency-keys.table.js';
import type { LegalHoldsTable, RetentionChangesTable, RetentionPoliciesTable } from '../documents/retention/retention.table.js';
import type { DocumentVersionsTable } from '../documents/versions/document-versions.table.js';
import type { ScrubStateTable } from '../documents/integrity/scrub-state.table.js';
import type { AuditChainHeadsTable, AuditCheckpointsTable, AuditEntriesTable } from '../audit/audit.table.js';
import type { EventDeliveriesTable, EventsTable } from '../events/events.table.js';
import type { DocumentTextsTable, ExtractionJobsTable, OrganizationSearchSettingsTable, SearchEntriesTable } from '../search/search.table.js';
import { CachingSqliteDatabase } from './caching-sqlite-database.js';
import { GuardedPostgresPool, type DatabaseTimeouts } from './guarded-postgres-pool.js';
import { LockingSqliteDialect } from './locking-sqlite-dialect.js';

export { DatabaseUnavailable } from './database-errors.js';
export type { DatabaseTimeouts } from './guarded-postgres-pool.js';

/** The whole schema, composed from each module's `*.table.ts`. */
export interface Database {
  documents: DocumentsTable;
  document_versions: DocumentVersionsTable;
  buildings: BuildingsTable;
  idempotency_keys: IdempotencyKeysTable;
  retention_policies: RetentionPoliciesTable;
  retention_changes: RetentionChangesTable;
  legal_holds: LegalHoldsTable;
  scrub_state: ScrubStateTable;
  handover_exports: HandoverExportsTable;
  extraction_jobs: ExtractionJobsTable;
  document_texts: DocumentTextsTable;
  search_entries: SearchEntriesTable;
  organization_search_settings: OrganizationSearchSettingsTable;
  audit_entries: AuditEntriesTable;
  audit_chain_heads: AuditChainHeadsTable;
  audit_checkpoints: AuditCheckpointsTable;
  events: EventsTable;
  event_deliveries: EventDeliveriesTable;
}

export type DatabaseConfig = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string; maxConnections?: number; timeouts?: DatabaseTimeouts };

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: DatabaseConfig['dialect'];
}

/** How long a statement waits for another connection's lock on the SQLite file. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Puts the SQLite file in WAL mode. Switching a fresh file answers SQLITE_BUSY at once, without
 * waiting for the busy timeout, while another process (a second instance starting on the same
 * DATA_DIR) is switching it: retried for the same time as any other lock.
 */
function switchToWal(sqlite: SqliteDatabase.Database): void {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      sqlite.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const busy = (error as { code?: string }).code?.startsWith('SQLITE_BUSY') === true;
      if (!busy || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, 25);
    }
  }
}

/**
 * Opens the metadata database: SQLite through better-sqlite3 (WAL mode, synchronous FULL; a locked database is
 * waited for 5 s; statements kept prepared), or PostgreSQL through pg with bounded waits (`GuardedPostgresPool`).
 */
export function openDatabase(config: DatabaseConfig): OpenedDatabase {
  if (config.dialect === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true, mode: 0o700 });
    const sqlite = new SqliteDatabase(config.path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    switchToWal(sqlite);
    // FULL: a commit is on disk before its answer leaves (in WAL mode, NORMAL may roll the last
    // commits back after a power cut: a 201 already given, its object orphaned, a read unrecorded).
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    // Statements stay prepared between queries (`CachingSqliteDatabase`).
    return { db: new Kysely<Database>({ dialect: new LockingSqliteDialect({ database: new CachingSqliteDatabase(sqlite) }) }), dialect: 'sqlite' };
  }
  const pool = new GuardedPostgresPool(config.url, {
    ...(config.maxConnections === undefined ? {} : { maxConnections: config.maxConnections }),
    ...(config.timeouts === undefined ? {} : { timeouts: config.timeouts }),
  });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}
