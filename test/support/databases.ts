import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openDatabase, type Database, type DatabaseConfig } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createTestDatabase } from './service-fixture.js';

/** A fresh, empty database of one dialect, and how to open another connection pool on it (a second instance). */
export interface TestDatabase {
  db: Kysely<Database>;
  config: DatabaseConfig;
  cleanup: () => Promise<void>;
}

/** Both metadata databases, for repository tests run on each: a SQLite file and a PostgreSQL database. */
export const DIALECTS: Array<[string, () => Promise<TestDatabase>]> = [
  [
    'SQLite',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'docstore-sqlite-'));
      const config: DatabaseConfig = { dialect: 'sqlite', path: join(dir, 'docstore.sqlite') };
      const { db } = openDatabase(config);
      return { db, config, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const config: DatabaseConfig = { dialect: 'postgres', url: await createTestDatabase() };
      const { db } = openDatabase(config);
      return { db, config, cleanup: async () => {} };
    },
  ],
];

/** A migrated test database with a second handle on it, as a second instance of the service has. */
export interface TwoInstances extends TestDatabase {
  /**
   * PostgreSQL: another connection pool. SQLite: the same connection (better-sqlite3 waits for
   * another connection's lock synchronously, which within one process would block the connection holding it).
   */
  second: Kysely<Database>;
  close(): Promise<void>;
}

export async function openTwoInstances(open: () => Promise<TestDatabase>): Promise<TwoInstances> {
  const test = await open();
  await migrateToLatest(test.db);
  const second = test.config.dialect === 'postgres' ? openDatabase(test.config).db : test.db;
  return {
    ...test,
    second,
    close: async () => {
      if (second !== test.db) await second.destroy();
      await test.db.destroy();
      await test.cleanup();
    },
  };
}
