import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Search inside documents (issue 21): a durable extraction job per document version, claimed with
 * a lease; the text extracted from each document's current version; the full-text index. Every
 * row goes with its document (a purge deletes them). SQLite: an FTS5 table without content of its
 * own (`contentless_delete`), whose rowid is `search_entries.id`; a trigger keeps the two together.
 * PostgreSQL: a tsvector per document under a GIN index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  await db.schema
    .createTable('extraction_jobs')
    .addColumn('document_id', 'varchar(36)', (column) => column.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('version', 'integer', (column) => column.notNull())
    .addColumn('status', 'varchar(20)', (column) => column.notNull())
    .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('next_attempt_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('lease_owner', 'varchar(80)')
    .addColumn('lease_expires_at', sql.raw(timestamp))
    .addColumn('method', 'varchar(20)')
    .addColumn('pages', 'integer')
    .addColumn('error', 'varchar(1000)')
    .addColumn('created_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('updated_at', sql.raw(timestamp), (column) => column.notNull())
    .addPrimaryKeyConstraint('extraction_jobs_pkey', ['document_id', 'version'])
    .execute();
  await db.schema.createIndex('extraction_jobs_status_next').on('extraction_jobs').columns(['status', 'next_attempt_at']).execute();
  await db.schema
    .createTable('document_texts')
    .addColumn('document_id', 'varchar(36)', (column) => column.primaryKey().references('documents.id').onDelete('cascade'))
    .addColumn('version', 'integer', (column) => column.notNull())
    .addColumn('text', 'text', (column) => column.notNull())
    .addColumn('method', 'varchar(20)', (column) => column.notNull())
    .addColumn('extracted_at', sql.raw(timestamp), (column) => column.notNull())
    .execute();
  if (postgres) {
    await db.schema
      .createTable('search_entries')
      .addColumn('id', 'bigserial', (column) => column.notNull().unique())
      .addColumn('document_id', 'varchar(36)', (column) => column.primaryKey().references('documents.id').onDelete('cascade'))
      .addColumn('tsv', sql`tsvector`, (column) => column.notNull())
      .execute();
    await sql`create index search_entries_tsv on search_entries using gin (tsv)`.execute(db);
    return;
  }
  await sql`create table search_entries (
    id integer primary key,
    document_id varchar(36) not null unique references documents (id) on delete cascade
  )`.execute(db);
  await sql`create virtual table search_fts using fts5(title, body, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')`.execute(db);
  // A purged document's entry goes (the foreign key's cascade fires this trigger), and its FTS row with it.
  await sql`create trigger search_entries_delete after delete on search_entries begin delete from search_fts where rowid = old.id; end`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  if (!postgres) {
    await sql`drop trigger search_entries_delete`.execute(db);
    await sql`drop table search_fts`.execute(db);
  }
  await db.schema.dropTable('search_entries').execute();
  await db.schema.dropTable('document_texts').execute();
  await db.schema.dropTable('extraction_jobs').execute();
}
