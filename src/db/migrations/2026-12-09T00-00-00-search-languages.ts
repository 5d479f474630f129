import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

/** Search (issue 21): each organisation's OCR languages, over the service's `DOCSTORE_OCR_LANGUAGES`. */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  await db.schema
    .createTable('organization_search_settings')
    .addColumn('organization_id', 'varchar(36)', (column) => column.primaryKey())
    .addColumn('ocr_languages', 'varchar(100)', (column) => column.notNull())
    .addColumn('updated_by', 'varchar(255)', (column) => column.notNull())
    .addColumn('updated_at', sql.raw(postgres ? 'timestamptz' : 'text'), (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('organization_search_settings').execute();
}
