import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('organization_id', 'varchar(36)', (column) => column.notNull())
    .addColumn('subject', 'varchar(255)', (column) => column.notNull())
    .addColumn('idempotency_key', 'varchar(255)', (column) => column.notNull())
    .addColumn('fingerprint', 'char(64)', (column) => column.notNull())
    .addColumn('lock_token', 'varchar(80)')
    .addColumn('locked_until', sql.raw(timestamp))
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('expires_at', sql.raw(timestamp), (column) => column.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['organization_id', 'subject', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').columns(['expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
}
