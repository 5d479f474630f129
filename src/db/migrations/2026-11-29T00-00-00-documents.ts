import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  await db.schema
    .createTable('buildings')
    .addColumn('id', 'varchar(36)', (column) => column.primaryKey())
    .addColumn('organization_id', 'varchar(36)', (column) => column.notNull())
    .addColumn('created_at', sql.raw(timestamp), (column) => column.notNull())
    .execute();
  await db.schema
    .createTable('documents')
    .addColumn('id', 'varchar(36)', (column) => column.primaryKey())
    .addColumn('organization_id', 'varchar(36)', (column) => column.notNull())
    .addColumn('building_id', 'varchar(36)', (column) => column.notNull().references('buildings.id'))
    .addColumn('type', 'varchar(32)', (column) => column.notNull())
    .addColumn('title', 'varchar(255)', (column) => column.notNull())
    .addColumn('description', 'text')
    .addColumn('file_name', 'varchar(255)', (column) => column.notNull())
    .addColumn('mime_type', 'varchar(255)', (column) => column.notNull())
    .addColumn('size', 'bigint', (column) => column.notNull())
    .addColumn('sha256', 'char(64)', (column) => column.notNull())
    .addColumn('uploaded_by', 'varchar(255)', (column) => column.notNull())
    .addColumn('related_meeting_id', 'varchar(36)')
    .addColumn('related_expense_id', 'varchar(36)')
    .addColumn('storage_key', 'varchar(1024)', (column) => column.notNull().unique())
    .addColumn('status', 'varchar(16)', (column) => column.notNull().defaultTo('active'))
    .addColumn('created_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('updated_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('deleted_at', sql.raw(timestamp))
    .execute();
  await db.schema
    .createIndex('documents_building_listing')
    .on('documents')
    .columns(['building_id', 'deleted_at', 'created_at', 'id'])
    .execute();
  await db.schema.createIndex('documents_trash').on('documents').columns(['deleted_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('documents').execute();
  await db.schema.dropTable('buildings').execute();
}
