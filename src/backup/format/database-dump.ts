import SqliteDatabase from 'better-sqlite3';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { sql, type Kysely } from 'kysely';
import type { Database, DatabaseConfig } from '../../db/database.js';
import { BackupError } from '../backup-errors.js';

/** The tables a dump holds, in the order they are restored (a table after those its rows refer to). */
export const DUMPED_TABLES = ['buildings', 'documents', 'document_versions', 'audit_entries', 'audit_chain_heads', 'audit_checkpoints'] as const;
export type DumpedTable = (typeof DUMPED_TABLES)[number];

/** The audit trail's tables: restored whole by a full restore only. */
export const AUDIT_TABLES: ReadonlySet<DumpedTable> = new Set(['audit_entries', 'audit_chain_heads', 'audit_checkpoints']);

/** The unique key each table is read in order of, page by page. */
const PAGE_KEY: Record<DumpedTable, readonly string[]> = {
  buildings: ['id'],
  documents: ['id'],
  document_versions: ['storage_key'],
  audit_entries: ['id'],
  audit_chain_heads: ['organization_id'],
  audit_checkpoints: ['organization_id', 'seq'],
};

export type DumpFormat = 'sqlite' | 'jsonl';
export type Row = Record<string, unknown>;

/**
 * Writes a consistent copy of the metadata database to `destination`:
 * - SQLite: the online backup API (a page-by-page copy of one consistent state, writers keep going);
 * - PostgreSQL: every row of every table, one JSON object per line, read in one REPEATABLE READ,
 *   READ ONLY transaction (one snapshot of the database, like pg_dump's), page by page in constant memory.
 */
export async function dumpDatabase(db: Kysely<Database>, config: DatabaseConfig, destination: string): Promise<DumpFormat> {
  if (config.dialect === 'sqlite') {
    let source: SqliteDatabase.Database;
    try {
      source = new SqliteDatabase(config.path, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw BackupError.usage(`cannot open the SQLite database ${config.path} (${(error as Error).message}): has docstore run here (DATA_DIR)?`);
    }
    try {
      await source.backup(destination);
    } finally {
      source.close();
    }
    return 'sqlite';
  }
  const out = createWriteStream(destination, { mode: 0o600 });
  const write = async (value: unknown) => {
    if (!out.write(`${JSON.stringify(value)}\n`)) await once(out, 'drain');
  };
  try {
    await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const migrations = await trx.selectFrom('kysely_migration' as never).select('name' as never).orderBy('name' as never).execute();
        await write({ format: 'docstore-db-dump', version: 1, dialect: 'postgres', migrations: migrations.map((row) => (row as { name: string }).name) });
        for (const table of DUMPED_TABLES) {
          const key = PAGE_KEY[table];
          const columns = sql.join(key.map((column) => sql.ref(column)));
          let after: Row | undefined;
          for (;;) {
            const last = after;
            const rows: Row[] = await trx
              .selectFrom(table as 'documents')
              .selectAll()
              .$if(last !== undefined, (query) => query.where(sql<boolean>`(${columns}) > (${sql.join(key.map((column) => last?.[column]))})`))
              .orderBy(sql`${columns}`)
              .limit(1000)
              .execute();
            for (const row of rows) await write({ table, row });
            if (rows.length < 1000) break;
            after = rows[rows.length - 1];
          }
        }
      });
    out.end();
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    throw error;
  }
  return 'jsonl';
}

/**
 * Reads a dump made by `dumpDatabase`, whichever the dialect: rows table by table, in the order of
 * their page column. A table the dump does not hold (made before its migration) has no rows.
 */
export interface DumpReader {
  migrations(): Promise<string[]>;
  rows(table: DumpedTable): AsyncIterable<Row>;
  close(): void;
}

export function openDump(format: DumpFormat, file: string): DumpReader {
  if (format === 'sqlite') {
    let sqlite: SqliteDatabase.Database;
    try {
      sqlite = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
      sqlite.pragma('schema_version');
    } catch (error) {
      throw BackupError.integrity('the database dump', 'is not a SQLite database', error);
    }
    return {
      migrations: async () => (sqlite.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as Array<{ name: string }>).map((row) => row.name),
      async *rows(table) {
        const exists = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
        if (!exists) return;
        for (const row of sqlite.prepare(`SELECT * FROM ${table} ORDER BY ${PAGE_KEY[table].join(', ')}`).iterate()) yield row as Row;
      },
      close: () => sqlite.close(),
    };
  }
  const lines = async function* () {
    const reader = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of reader) if (line !== '') yield JSON.parse(line) as { table?: string; row?: Row; migrations?: string[]; format?: string };
  };
  return {
    async migrations() {
      for await (const line of lines()) {
        if (line.format !== 'docstore-db-dump') throw BackupError.integrity('the database dump', 'does not start with a docstore dump header');
        return line.migrations ?? [];
      }
      throw BackupError.integrity('the database dump', 'is empty');
    },
    async *rows(table) {
      for await (const line of lines()) if (line.table === table && line.row !== undefined) yield line.row;
    },
    close: () => {},
  };
}

/** Rows normalised for insertion into either dialect (PostgreSQL reads bigint back as a string). */
export function normaliseRow(table: DumpedTable, row: Row): Row {
  const copy: Row = { ...row };
  for (const [column, value] of Object.entries(copy)) if (value instanceof Date) copy[column] = value.toISOString();
  if (table === 'documents' || table === 'document_versions') copy.size = Number(copy.size);
  if (table === 'audit_entries') {
    copy.id = Number(copy.id);
    if (copy.chain_seq !== null && copy.chain_seq !== undefined) copy.chain_seq = Number(copy.chain_seq);
  }
  if (table === 'audit_chain_heads' || table === 'audit_checkpoints') copy.seq = Number(copy.seq);
  return copy;
}
