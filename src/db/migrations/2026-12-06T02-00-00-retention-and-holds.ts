import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Retention and legal hold (issue 16): each document gets the date it bears (`document_date`,
 * filled with its upload date in Belgium for existing documents), an optional contract end date
 * and an optional retention date set with a reason; organisations get retention policies; every
 * change of a retention and every legal hold is kept with its author and reason.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  await db.schema.alterTable('documents').addColumn('document_date', 'varchar(10)').execute();
  await db.schema.alterTable('documents').addColumn('contract_end_date', 'varchar(10)').execute();
  await db.schema.alterTable('documents').addColumn('retain_until_override', 'varchar(10)').execute();
  const brussels = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Brussels', year: 'numeric', month: '2-digit', day: '2-digit' });
  for (;;) {
    const rows: Array<{ id: string; created_at: string | Date }> = await db
      .selectFrom('documents')
      .select(['id', 'created_at'])
      .where('document_date', 'is', null)
      .limit(500)
      .execute();
    for (const row of rows) {
      await db.updateTable('documents').set({ document_date: brussels.format(new Date(row.created_at)) }).where('id', '=', row.id).execute();
    }
    if (rows.length < 500) break;
  }
  // SQLite adds no NOT NULL column without a constant default: docstore always writes it.
  if (postgres) await db.schema.alterTable('documents').alterColumn('document_date', (column) => column.setNotNull()).execute();

  await db.schema
    .createTable('retention_policies')
    .addColumn('organization_id', 'varchar(36)', (column) => column.notNull())
    .addColumn('document_type', 'varchar(32)', (column) => column.notNull())
    .addColumn('period', 'varchar(16)', (column) => column.notNull())
    .addColumn('updated_by', 'varchar(255)', (column) => column.notNull())
    .addColumn('updated_at', sql.raw(timestamp), (column) => column.notNull())
    .addPrimaryKeyConstraint('retention_policies_pkey', ['organization_id', 'document_type'])
    .execute();

  await db.schema
    .createTable('retention_changes')
    .addColumn('id', 'varchar(36)', (column) => column.primaryKey())
    .addColumn('organization_id', 'varchar(36)', (column) => column.notNull())
    .addColumn('document_id', 'varchar(36)')
    .addColumn('document_type', 'varchar(32)')
    .addColumn('previous', 'varchar(32)', (column) => column.notNull())
    .addColumn('next', 'varchar(32)', (column) => column.notNull())
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('changed_by', 'varchar(255)', (column) => column.notNull())
    .addColumn('changed_at', sql.raw(timestamp), (column) => column.notNull())
    .execute();
  await db.schema.createIndex('retention_changes_by_document').on('retention_changes').columns(['document_id', 'changed_at']).execute();
  await db.schema.createIndex('retention_changes_by_organization').on('retention_changes').columns(['organization_id', 'changed_at']).execute();

  await db.schema
    .createTable('legal_holds')
    .addColumn('id', 'varchar(36)', (column) => column.primaryKey())
    .addColumn('organization_id', 'varchar(36)', (column) => column.notNull())
    .addColumn('building_id', 'varchar(36)', (column) => column.notNull())
    .addColumn('document_id', 'varchar(36)')
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('placed_by', 'varchar(255)', (column) => column.notNull())
    .addColumn('placed_at', sql.raw(timestamp), (column) => column.notNull())
    .addColumn('released_by', 'varchar(255)')
    .addColumn('released_at', sql.raw(timestamp))
    .addColumn('release_reason', 'text')
    .execute();
  await db.schema.createIndex('legal_holds_by_building').on('legal_holds').columns(['building_id', 'released_at']).execute();
  await db.schema.createIndex('legal_holds_by_document').on('legal_holds').columns(['document_id', 'released_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('legal_holds').execute();
  await db.schema.dropTable('retention_changes').execute();
  await db.schema.dropTable('retention_policies').execute();
  for (const column of ['retain_until_override', 'contract_end_date', 'document_date']) {
    await db.schema.alterTable('documents').dropColumn(column).execute();
  }
}
