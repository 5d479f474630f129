import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * The audit trail (issue 17): entries, each organisation's chain head, and signed checkpoints.
 * Entries are linked into a chain (chain_seq, previous_hash, entry_hash) by the sealer after they
 * are committed, so recording never waits for a lock shared by other requests.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  await db.schema
    .createTable('audit_entries')
    .$call((table) => (postgres ? table.addColumn('id', 'bigserial', (column) => column.primaryKey()) : table.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement())))
    .addColumn('organization_id', 'varchar(36)', (column) => column.notNull())
    .addColumn('at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('actor_kind', 'varchar(16)', (column) => column.notNull())
    .addColumn('actor_subject', 'varchar(255)')
    .addColumn('actor_role', 'varchar(32)')
    .addColumn('action', 'varchar(40)', (column) => column.notNull())
    .addColumn('outcome', 'varchar(16)', (column) => column.notNull())
    .addColumn('building_id', 'varchar(36)')
    .addColumn('document_id', 'varchar(36)')
    .addColumn('version', 'integer')
    .addColumn('request_id', 'varchar(64)')
    .addColumn('client_address', 'varchar(64)')
    .addColumn('user_agent', 'varchar(512)')
    .addColumn('details', 'text')
    .addColumn('chain_seq', 'bigint')
    .addColumn('previous_hash', 'varchar(64)')
    .addColumn('entry_hash', 'varchar(64)')
    .execute();
  await db.schema.createIndex('audit_entries_chain').unique().on('audit_entries').columns(['organization_id', 'chain_seq']).execute();
  await db.schema.createIndex('audit_entries_unsealed').on('audit_entries').columns(['organization_id', 'id']).where(sql.ref('chain_seq'), 'is', null).execute();
  await db.schema.createIndex('audit_entries_by_document').on('audit_entries').columns(['document_id', 'id']).execute();
  await db.schema.createIndex('audit_entries_by_building').on('audit_entries').columns(['building_id', 'id']).execute();
  await db.schema.createIndex('audit_entries_by_organization_time').on('audit_entries').columns(['organization_id', 'at']).execute();

  await db.schema
    .createTable('audit_chain_heads')
    .addColumn('organization_id', 'varchar(36)', (column) => column.primaryKey())
    .addColumn('seq', 'bigint', (column) => column.notNull())
    .addColumn('hash', 'varchar(64)', (column) => column.notNull())
    .addColumn('updated_at', sql.raw(timestamp), (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('organization_id', 'varchar(36)', (column) => column.notNull())
    .addColumn('seq', 'bigint', (column) => column.notNull())
    .addColumn('hash', 'varchar(64)', (column) => column.notNull())
    .addColumn('signed_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('key_id', 'varchar(64)', (column) => column.notNull())
    .addColumn('signature', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('audit_checkpoints_pkey', ['organization_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_checkpoints').execute();
  await db.schema.dropTable('audit_chain_heads').execute();
  await db.schema.dropTable('audit_entries').execute();
}
