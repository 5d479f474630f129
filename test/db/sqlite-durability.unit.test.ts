import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';

describe('the SQLite database opened by docstore', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('is in WAL mode with synchronous FULL: a commit is on disk before the answer that reports it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'docstore-sqlite-durability-'));
    const { db } = openDatabase({ dialect: 'sqlite', path: join(dir, 'docstore.sqlite') });
    try {
      const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
      const synchronous = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
      expect(journal.rows[0]?.journal_mode).toBe('wal');
      // 2 = FULL (1 = NORMAL, which in WAL mode may lose the last commits on a power cut).
      expect(synchronous.rows[0]?.synchronous).toBe(2);
    } finally {
      await db.destroy();
    }
  });
});
