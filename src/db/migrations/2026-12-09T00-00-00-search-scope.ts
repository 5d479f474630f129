import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Search (issue 21): each index entry also holds its building's scope token, so that a search
 * matches only within the caller's buildings inside the index itself (the SQL filter stays the
 * guarantee). SQLite's FTS5 table gets a third column, `scope`, weighing nothing in the ranking.
 * Entries of before are dropped and every document is queued for extraction again, which writes
 * them anew (search had not shipped: no archive reads its scans twice for this).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  if (!postgres) {
    await sql`drop trigger search_entries_delete`.execute(db);
    await sql`drop table search_fts`.execute(db);
    await sql`create virtual table search_fts using fts5(title, body, scope, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')`.execute(db);
    await sql`create trigger search_entries_delete after delete on search_entries begin delete from search_fts where rowid = old.id; end`.execute(db);
  }
  await db.deleteFrom('search_entries').execute();
  await db.updateTable('extraction_jobs').set({ status: 'pending', attempts: 0, lease_owner: null, lease_expires_at: null, error: null }).execute();
}

export async function down(): Promise<void> {
  // The two-column table of before is not worth restoring: `docstore index rebuild` writes every entry.
}
