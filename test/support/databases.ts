import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openDatabase, type Database, type DatabaseConfig } from '../../src/db/database.js';
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
