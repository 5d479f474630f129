import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Document versions (issue 16): every content a document has had, numbered from 1, each with its
 * own object. Every existing document becomes version 1 of itself, keeping its storage key, so that
 * no object is rewritten. The `documents` row keeps the current (newest) version's file name, type,
 * size, SHA-256 and storage key, written in the same transaction as the version row.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  await db.schema
    .createTable('document_versions')
    .addColumn('document_id', 'varchar(36)', (column) => column.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('version', 'integer', (column) => column.notNull())
    .addColumn('storage_key', 'varchar(1024)', (column) => column.notNull().unique())
    .addColumn('size', 'bigint', (column) => column.notNull())
    .addColumn('sha256', 'char(64)', (column) => column.notNull())
    .addColumn('mime_type', 'varchar(255)', (column) => column.notNull())
    .addColumn('file_name', 'varchar(255)', (column) => column.notNull())
    .addColumn('uploaded_by', 'varchar(255)', (column) => column.notNull())
    .addColumn('created_at', sql.raw(timestamp), (column) => column.notNull())
    .addPrimaryKeyConstraint('document_versions_pkey', ['document_id', 'version'])
    .addCheckConstraint('document_versions_version_positive', sql`version >= 1`)
    .execute();
  await sql`
    insert into document_versions (document_id, version, storage_key, size, sha256, mime_type, file_name, uploaded_by, created_at)
    select id, 1, storage_key, size, sha256, mime_type, file_name, uploaded_by, created_at from documents
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('document_versions').execute();
}
