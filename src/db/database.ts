import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BuildingsTable, DocumentsTable } from '../documents/documents.table.js';
import type { IdempotencyKeysTable } from '../idempotency/idempotency-keys.table.js';
import { GuardedPostgresPool, type DatabaseTimeouts } from './guarded-postgres-pool.js';
import { LockingSqliteDialect } from './locking-sqlite-dialect.js';

export { DatabaseUnavailable } from './database-errors.js';
export type { DatabaseTimeouts } from './guarded-postgres-pool.js';

/** The whole schema, composed from each module's `*.table.ts`. */
export interface Database {
  documents: DocumentsTable;
  buildings: BuildingsTable;
  idempotency_keys: IdempotencyKeysTable;
}

export type DatabaseConfig = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string; maxConnections?: number; timeouts?: DatabaseTimeouts };

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: DatabaseConfig['dialect'];
}

/**
 * Opens the metadata database: SQLite through better-sqlite3 (WAL mode; a locked database is
 * waited for 5 s), or PostgreSQL through pg with bounded waits (`GuardedPostgresPool`).
 */
export function openDatabase(config: DatabaseConfig): OpenedDatabase {
  if (config.dialect === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true, mode: 0o700 });
    const sqlite = new SqliteDatabase(config.path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    return { db: new Kysely<Database>({ dialect: new LockingSqliteDialect({ database: sqlite }) }), dialect: 'sqlite' };
  }
  const pool = new GuardedPostgresPool(config.url, {
    ...(config.maxConnections === undefined ? {} : { maxConnections: config.maxConnections }),
    ...(config.timeouts === undefined ? {} : { timeouts: config.timeouts }),
  });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}
