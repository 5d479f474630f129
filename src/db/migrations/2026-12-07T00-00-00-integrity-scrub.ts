import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  await db.schema
    .createTable('scrub_state')
    .addColumn('name', 'varchar(40)', (column) => column.primaryKey())
    .addColumn('cursor_document_id', 'varchar(36)')
    .addColumn('cursor_version', 'integer')
    .addColumn('pass_started_at', sql.raw(timestamp))
    .addColumn('last_completed_at', sql.raw(timestamp))
    .addColumn('lease_owner', 'varchar(80)')
    .addColumn('lease_expires_at', sql.raw(timestamp))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('scrub_state').execute();
}
