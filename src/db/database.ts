import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BuildingsTable, DocumentsTable } from '../documents/documents.table.js';

/** The whole schema, composed from each module's `*.table.ts`. */
export interface Database {
  documents: DocumentsTable;
  buildings: BuildingsTable;
}

export type DatabaseConfig = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string; maxConnections?: number };

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: DatabaseConfig['dialect'];
}

/** Opens the metadata database: SQLite through better-sqlite3 (WAL mode) or PostgreSQL through pg. */
export function openDatabase(config: DatabaseConfig): OpenedDatabase {
  if (config.dialect === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true, mode: 0o700 });
    const sqlite = new SqliteDatabase(config.path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }), dialect: 'sqlite' };
  }
  const pool = new pg.Pool({ connectionString: config.url, max: config.maxConnections ?? 10 });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}

/** The metadata database cannot be reached (readiness, start-up). */
export class DatabaseUnavailable extends Error {
  readonly code = 'database.unavailable';
  constructor(cause: unknown) {
    super('The metadata database is unreachable', { cause });
    this.name = 'DatabaseUnavailable';
  }
}
