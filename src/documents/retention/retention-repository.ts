import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { LegalHoldRow, NewLegalHoldRow, RetentionChangeRow } from './retention.table.js';

type Db = Kysely<Database> | Transaction<Database>;

/** What a document's retention and hold are computed from, with its building's financial-year end. */
export interface ProtectionInputRow {
  id: string;
  organization_id: string;
  building_id: string;
  type: string;
  document_date: string | null;
  contract_end_date: string | null;
  retain_until_override: string | null;
  created_at: string | Date;
  financial_year_end_month: number | string;
  financial_year_end_day: number | string;
}

export async function protectionInputs(db: Db, documentIds: readonly string[]): Promise<ProtectionInputRow[]> {
  if (documentIds.length === 0) return [];
  return db
    .selectFrom('documents as d')
    .innerJoin('buildings as b', 'b.id', 'd.building_id')
    .select([
      'd.id',
      'd.organization_id',
      'd.building_id',
      'd.type',
      'd.document_date',
      'd.contract_end_date',
      'd.retain_until_override',
      'd.created_at',
      'b.financial_year_end_month',
      'b.financial_year_end_day',
    ])
    .where('d.id', 'in', documentIds)
    .execute();
}

/** Organisations' policies, `organization_id → type → period`. */
export async function policies(db: Db, organizationIds: readonly string[]): Promise<Map<string, Map<string, string>>> {
  const result = new Map<string, Map<string, string>>();
  if (organizationIds.length === 0) return result;
  const rows = await db.selectFrom('retention_policies').select(['organization_id', 'document_type', 'period']).where('organization_id', 'in', organizationIds).execute();
  for (const row of rows) {
    const byType = result.get(row.organization_id) ?? new Map<string, string>();
    byType.set(row.document_type, row.period);
    result.set(row.organization_id, byType);
  }
  return result;
}

/** Sets (period) or removes (null: back to the service's default) an organisation's period for a type. */
export async function savePolicy(db: Db, row: { organizationId: string; type: string; period: string | null; by: string; at: string }): Promise<void> {
  await db.deleteFrom('retention_policies').where('organization_id', '=', row.organizationId).where('document_type', '=', row.type).execute();
  if (row.period === null) return;
  await db
    .insertInto('retention_policies')
    .values({ organization_id: row.organizationId, document_type: row.type, period: row.period, updated_by: row.by, updated_at: row.at })
    .execute();
}

export async function insertChange(db: Db, row: RetentionChangeRow): Promise<void> {
  await db.insertInto('retention_changes').values(row).execute();
}

/** A document's retention changes, or an organisation's policy changes (`documentId` null), newest first. */
export async function changes(db: Db, filter: { organizationId: string; documentId: string | null; limit: number }): Promise<RetentionChangeRow[]> {
  let query = db.selectFrom('retention_changes').selectAll().where('organization_id', '=', filter.organizationId);
  query = filter.documentId === null ? query.where('document_id', 'is', null) : query.where('document_id', '=', filter.documentId);
  return query.orderBy('changed_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

/** Active holds on these documents or on these buildings. */
export async function activeHolds(db: Db, filter: { documentIds: readonly string[]; buildingIds: readonly string[] }): Promise<LegalHoldRow[]> {
  if (filter.documentIds.length === 0 && filter.buildingIds.length === 0) return [];
  return db
    .selectFrom('legal_holds')
    .selectAll()
    .where('released_at', 'is', null)
    .where((eb) =>
      eb.or([
        ...(filter.documentIds.length === 0 ? [] : [eb('document_id', 'in', filter.documentIds)]),
        ...(filter.buildingIds.length === 0 ? [] : [eb.and([eb('document_id', 'is', null), eb('building_id', 'in', filter.buildingIds)])]),
      ]),
    )
    .execute();
}

/** The active hold on a document (`documentId`) or on the building itself (`documentId` null). */
export async function activeHold(db: Db, buildingId: string, documentId: string | null): Promise<LegalHoldRow | undefined> {
  let query = db.selectFrom('legal_holds').selectAll().where('building_id', '=', buildingId).where('released_at', 'is', null);
  query = documentId === null ? query.where('document_id', 'is', null) : query.where('document_id', '=', documentId);
  return query.executeTakeFirst();
}

export async function insertHold(db: Db, row: NewLegalHoldRow): Promise<void> {
  await db.insertInto('legal_holds').values(row).execute();
}

export async function releaseHold(db: Db, id: string, release: { by: string; at: string; reason: string }): Promise<void> {
  await db.updateTable('legal_holds').set({ released_by: release.by, released_at: release.at, release_reason: release.reason }).where('id', '=', id).execute();
}

/** A building's holds (its own and its documents'), active first, newest first. */
export async function buildingHolds(db: Db, buildingId: string): Promise<LegalHoldRow[]> {
  return db.selectFrom('legal_holds').selectAll().where('building_id', '=', buildingId).orderBy('placed_at', 'desc').orderBy('id', 'desc').execute();
}

/** Ids of the buildings under an active building-wide hold, among these. */
export async function heldBuildings(db: Db, buildingIds: readonly string[]): Promise<Set<string>> {
  if (buildingIds.length === 0) return new Set();
  const rows = await db.selectFrom('legal_holds').select('building_id').where('document_id', 'is', null).where('released_at', 'is', null).where('building_id', 'in', buildingIds).execute();
  return new Set(rows.map((row) => row.building_id));
}

/** The organisation a building belongs to; undefined when it is not registered. */
export async function buildingOrganization(db: Db, buildingId: string): Promise<string | undefined> {
  const row = await db.selectFrom('buildings').select('organization_id').where('id', '=', buildingId).executeTakeFirst();
  return row?.organization_id;
}

/** Ids of a building's documents (any state), page by page. */
export async function* buildingDocumentIds(db: Db, buildingId: string, pageSize = 500): AsyncIterable<string[]> {
  let after = '';
  for (;;) {
    const rows = await db.selectFrom('documents').select('id').where('building_id', '=', buildingId).where('id', '>', after).orderBy('id').limit(pageSize).execute();
    if (rows.length > 0) yield rows.map((row) => row.id);
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]?.id ?? after;
  }
}

/** Ids of an organisation's documents of these types (any state), page by page. */
export async function* organizationDocumentIds(db: Db, organizationId: string, types: readonly string[], pageSize = 500): AsyncIterable<string[]> {
  if (types.length === 0) return;
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('documents')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('type', 'in', types)
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    if (rows.length > 0) yield rows.map((row) => row.id);
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]?.id ?? after;
  }
}

export async function setRetentionOverride(db: Db, documentId: string, retainUntil: string | null, at: string): Promise<void> {
  await db.updateTable('documents').set({ retain_until_override: retainUntil, updated_at: at }).where('id', '=', documentId).execute();
}
