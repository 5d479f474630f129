import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  await db.schema
    .createTable('handover_exports')
    .addColumn('id', 'varchar(36)', (column) => column.primaryKey())
    .addColumn('organization_id', 'varchar(255)', (column) => column.notNull())
    .addColumn('building_id', 'varchar(255)', (column) => column.notNull())
    .addColumn('status', 'varchar(16)', (column) => column.notNull())
    .addColumn('include_trash', 'integer', (column) => column.notNull())
    .addColumn('requested_by', 'varchar(255)', (column) => column.notNull())
    .addColumn('storage_key', 'varchar(1024)')
    .addColumn('file_name', 'varchar(1024)')
    .addColumn('size', 'bigint')
    .addColumn('sha256', 'varchar(64)')
    .addColumn('documents', 'integer')
    .addColumn('versions', 'integer')
    .addColumn('error_code', 'varchar(80)')
    .addColumn('error_message', 'text')
    .addColumn('created_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('finished_at', sql.raw(timestamp))
    .execute();
  await db.schema.createIndex('handover_exports_building').on('handover_exports').columns(['building_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('handover_exports').execute();
}
