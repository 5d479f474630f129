import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Export jobs keep a heartbeat (docs/handover.md#jobs-whose-instance-stopped): the instance running
 * a job holds a lease on its row (`lease_owner`, renewed until `lease_expires_at`). A `running` job
 * whose lease lapsed, or which has none (every job left running before this migration), is marked
 * failed by any instance.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  await db.schema.alterTable('handover_exports').addColumn('lease_owner', 'varchar(64)').execute();
  await db.schema.alterTable('handover_exports').addColumn('lease_expires_at', sql.raw(timestamp)).execute();
  await db.schema.createIndex('handover_exports_status').on('handover_exports').columns(['status', 'lease_expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('handover_exports_status').execute();
  await db.schema.alterTable('handover_exports').dropColumn('lease_expires_at').execute();
  await db.schema.alterTable('handover_exports').dropColumn('lease_owner').execute();
}
