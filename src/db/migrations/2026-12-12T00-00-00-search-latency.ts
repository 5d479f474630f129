import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Search latency (issue 21), PostgreSQL only. Each entry's tsvector (about 2 kB for a page of text)
 * is kept in its row (`storage main`: compressed if it helps, moved out of line only when the row
 * would not fit a page), so that ranking a match does not read it back from the TOAST table; a third
 * of the benchmark's entries had been moved out. Entries written before keep their storage until
 * rewritten (a new version, an edit, `docstore index rebuild`). The GIN index gets no pending list
 * (`fastupdate = off`): every search scanned the unmerged insertions one by one (up to 4 MB); an
 * extraction now pays for its own index update. SQLite: nothing changes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres')) return;
  await sql`alter table search_entries alter column tsv set storage main`.execute(db);
  await sql`alter index search_entries_tsv set (fastupdate = off)`.execute(db);
  await sql`select gin_clean_pending_list('search_entries_tsv')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres')) return;
  await sql`alter index search_entries_tsv reset (fastupdate)`.execute(db);
  await sql`alter table search_entries alter column tsv set storage extended`.execute(db);
}
