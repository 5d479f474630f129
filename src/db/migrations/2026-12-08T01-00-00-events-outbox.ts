import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * The events outbox (issue 17, part 3): events written in the transaction of the change they tell
 * about, and one delivery per event and webhook endpoint, claimed by dispatchers under a lease.
 * Events keep no foreign key: they outlive the documents they name (`document.purged`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  await db.schema
    .createTable('events')
    .$call((table) => (postgres ? table.addColumn('seq', 'bigserial', (column) => column.primaryKey()) : table.addColumn('seq', 'integer', (column) => column.primaryKey().autoIncrement())))
    .addColumn('id', 'varchar(36)', (column) => column.notNull().unique())
    .addColumn('type', 'varchar(40)', (column) => column.notNull())
    .addColumn('organization_id', 'varchar(36)', (column) => column.notNull())
    .addColumn('building_id', 'varchar(36)')
    .addColumn('document_id', 'varchar(36)')
    .addColumn('ordering_key', 'varchar(60)', (column) => column.notNull())
    .addColumn('occurred_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('payload', 'text', (column) => column.notNull())
    .addColumn('audit_entry_id', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('events_by_document').on('events').columns(['document_id', 'seq']).execute();

  await db.schema
    .createTable('event_deliveries')
    .addColumn('event_id', 'varchar(36)', (column) => column.notNull().references('events.id').onDelete('cascade'))
    .addColumn('endpoint', 'varchar(2048)', (column) => column.notNull())
    .addColumn('event_seq', 'bigint', (column) => column.notNull())
    .addColumn('ordering_key', 'varchar(60)', (column) => column.notNull())
    .addColumn('status', 'varchar(16)', (column) => column.notNull())
    .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('next_attempt_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('lease_owner', 'varchar(80)')
    .addColumn('lease_expires_at', sql.raw(timestamp))
    .addColumn('last_error', 'varchar(1000)')
    .addColumn('created_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('updated_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('delivered_at', sql.raw(timestamp))
    .addPrimaryKeyConstraint('event_deliveries_pkey', ['event_id', 'endpoint'])
    .execute();
  // The queue: due pending rows in order, and the earlier pending row of the same key and endpoint.
  await db.schema.createIndex('event_deliveries_queue').on('event_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('event_deliveries_order').on('event_deliveries').columns(['endpoint', 'ordering_key', 'event_seq']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('event_deliveries').execute();
  await db.schema.dropTable('events').execute();
}
