import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type Generated } from 'kysely';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CachingSqliteDatabase } from '../../src/db/caching-sqlite-database.js';

interface Notes {
  notes: { id: Generated<number>; body: string };
}

describe('CachingSqliteDatabase', () => {
  let dir: string;
  let sqlite: SqliteDatabase.Database;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docstore-statement-cache-'));
    sqlite = new SqliteDatabase(join(dir, 'cache.sqlite'));
    sqlite.exec('create table notes (id integer primary key, body text not null)');
  });

  afterEach(async () => {
    if (sqlite.open) sqlite.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prepares a statement once and hands the same one out for the same SQL', () => {
    const cache = new CachingSqliteDatabase(sqlite);
    const first = cache.prepare('select * from notes where id = ?');
    expect(cache.prepare('select * from notes where id = ?')).toBe(first);
    expect(cache.prepare('select * from notes where body = ?')).not.toBe(first);
    expect(cache.size).toBe(2);
  });

  it('keeps only the most recently used statements', () => {
    const cache = new CachingSqliteDatabase(sqlite, 2);
    const a = cache.prepare('select 1');
    const b = cache.prepare('select 2');
    expect(cache.prepare('select 1')).toBe(a); // now the most recent
    cache.prepare('select 3'); // drops "select 2", the least recent
    expect(cache.size).toBe(2);
    expect(cache.prepare('select 1')).toBe(a);
    expect(cache.prepare('select 2')).not.toBe(b);
  });

  it('never hands out a statement that is still being iterated', () => {
    const cache = new CachingSqliteDatabase(sqlite);
    sqlite.prepare('insert into notes (body) values (?), (?)').run('a', 'b');
    const streaming = cache.prepare('select body from notes order by id');
    const rows = streaming.iterate([]);
    expect(rows.next().value).toEqual({ body: 'a' });
    const other = cache.prepare('select body from notes order by id');
    expect(other).not.toBe(streaming);
    expect([...rows]).toEqual([{ body: 'b' }]);
    expect(cache.prepare('select body from notes order by id')).toBe(streaming);
  });

  it('serves Kysely: results, transactions rolled back and committed, the schema changed under a cached statement', async () => {
    const db = new Kysely<Notes>({ dialect: new SqliteDialect({ database: new CachingSqliteDatabase(sqlite) }) });
    for (const body of ['one', 'two', 'three']) await db.insertInto('notes').values({ body }).execute();
    const byBody = (body: string) => db.selectFrom('notes').selectAll().where('body', '=', body).executeTakeFirst();
    expect(await byBody('two')).toEqual({ id: 2, body: 'two' });
    expect(await byBody('three')).toEqual({ id: 3, body: 'three' });
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ body: 'four' }).execute();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await db.transaction().execute((trx) => trx.insertInto('notes').values({ body: 'five' }).execute());
    expect((await db.selectFrom('notes').select('body').orderBy('id').execute()).map((row) => row.body)).toEqual(['one', 'two', 'three', 'five']);
    // A migration adds a column: the cached `select *` sees it (SQLite re-prepares it).
    await sql`alter table notes add column tag text not null default 'x'`.execute(db);
    expect(await byBody('two')).toEqual({ id: 2, body: 'two', tag: 'x' });
    await db.destroy();
    expect(sqlite.open).toBe(false);
  });
});
