import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Buildings are registered with a name, an address and the association's financial-year end.
 * Before, a building existed once a document was stored in it (one row per such building): every
 * one of those stays, under its organisation, with an empty name that the console asks to fill.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres');
  const timestamp = postgres ? 'timestamptz' : 'text';
  // Defensive: the foreign key from documents already guarantees a row per building with documents.
  await sql`
    insert into buildings (id, organization_id, created_at)
    select building_id, min(organization_id), min(created_at) from documents
    where building_id not in (select id from buildings)
    group by building_id
  `.execute(db);
  await db.schema.alterTable('buildings').addColumn('name', 'varchar(200)', (column) => column.notNull().defaultTo('')).execute();
  // The name folded for sorting (lower case, no accents), computed by docstore; byte order on both databases.
  await db.schema
    .alterTable('buildings')
    .addColumn('name_key', postgres ? sql`varchar(200) collate "C"` : 'varchar(200)', (column) => column.notNull().defaultTo(''))
    .execute();
  await db.schema.alterTable('buildings').addColumn('street', 'varchar(200)').execute();
  await db.schema.alterTable('buildings').addColumn('postal_code', 'varchar(16)').execute();
  await db.schema.alterTable('buildings').addColumn('city', 'varchar(100)').execute();
  await db.schema.alterTable('buildings').addColumn('country', 'char(2)', (column) => column.notNull().defaultTo('BE')).execute();
  await db.schema.alterTable('buildings').addColumn('external_reference', 'varchar(200)').execute();
  await db.schema.alterTable('buildings').addColumn('financial_year_end_month', 'integer', (column) => column.notNull().defaultTo(12)).execute();
  await db.schema.alterTable('buildings').addColumn('financial_year_end_day', 'integer', (column) => column.notNull().defaultTo(31)).execute();
  // Filled from created_at; nullable (SQLite adds no NOT NULL column without a constant default, and
  // a backup made before this migration restores buildings rows without it): read as created_at then.
  await db.schema.alterTable('buildings').addColumn('updated_at', sql.raw(timestamp)).execute();
  await db.updateTable('buildings').set({ updated_at: sql.ref('created_at') }).execute();
  // The listing: an organisation's buildings by folded name, then id.
  await db.schema.createIndex('buildings_by_name').on('buildings').columns(['organization_id', 'name_key', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('buildings_by_name').execute();
  for (const column of ['updated_at', 'financial_year_end_day', 'financial_year_end_month', 'external_reference', 'country', 'city', 'postal_code', 'street', 'name_key', 'name']) {
    await db.schema.alterTable('buildings').dropColumn(column).execute();
  }
}
