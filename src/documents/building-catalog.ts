import type { Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { AuthError } from '../auth/auth-errors.js';
import type { Principal } from '../shared/principal.js';
import type { Building, BuildingPage, BuildingSummary } from '../shared/building.js';
import { nameKey } from '../shared/building.js';
import { decodeBuildingCursor, encodeBuildingCursor } from '../buildings/building-cursor.js';
import { BuildingError } from '../buildings/building-errors.js';
import type { BuildingPatch, NewBuilding } from '../buildings/building-input.js';
import * as buildings from '../buildings/building-repository.js';
import type { BuildingRow, BuildingRowUpdate } from '../buildings/buildings.table.js';
import { DEFAULT_FINANCIAL_YEAR_END } from '../buildings/financial-year-end.js';
import type { Database } from '../db/database.js';
import { buildingPermissions, canManageBuildings } from '../shared/building-permissions.js';
import { canSeeBuilding } from './document-authorization.js';
import type { AuditLog } from '../audit/audit-log.js';
import { actorOf } from '../audit/audit-entry.js';
import { changesBetween } from '../audit/audit-changes.js';
import * as repository from './document-repository.js';

/**
 * The registered buildings, under the documents' rules: a superadmin sees every building, a syndic
 * or accountant its organisation's, a board member or owner only the buildings of its token that
 * belong to its organisation (`canSeeBuilding`); one the caller may not see is `building.not_found`,
 * as an unknown one. Syndics (their organisation's) and superadmins register and change them.
 */
export class BuildingCatalog {
  private readonly now: () => Date;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** By name (lower case, accents ignored; unnamed ones first), then id. */
  async list(principal: Principal, query: { limit: number; cursor?: string }): Promise<BuildingPage> {
    const restricted = principal.role === 'board_member' || principal.role === 'owner';
    const rows = await buildings.listBuildings(this.db, {
      ...(principal.role === 'superadmin' ? {} : { organizationId: principal.organizationId }),
      ...(restricted ? { ids: principal.buildingIds } : {}),
      ...(query.cursor === undefined ? {} : { after: decodeBuildingCursor(query.cursor) }),
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: await this.summaries(principal, page),
      nextCursor: rows.length > query.limit && last !== undefined ? encodeBuildingCursor({ nameKey: last.name_key, id: last.id }) : null,
    };
  }

  async get(principal: Principal, id: string): Promise<BuildingSummary> {
    return this.single(principal, await this.visible(principal, id));
  }

  /**
   * Registers a building. Its id is the one given (the property-management application's) or a
   * new one; an id already registered, by any organisation, is `building.already_exists`.
   */
  async create(principal: Principal, input: NewBuilding): Promise<BuildingSummary> {
    if (!canManageBuildings(principal)) throw AuthError.forbidden('registering a building');
    const organizationId = this.organizationFor(principal, input.organizationId);
    const now = this.now().toISOString();
    const id = input.id ?? uuidv7();
    const financialYearEnd = input.financialYearEnd ?? DEFAULT_FINANCIAL_YEAR_END;
    const row = {
      id,
      organization_id: organizationId,
      name: input.name,
      name_key: nameKey(input.name),
      street: blankToNull(input.address?.street),
      postal_code: blankToNull(input.address?.postalCode),
      city: blankToNull(input.address?.city),
      country: input.address?.country ?? 'BE',
      external_reference: blankToNull(input.externalReference),
      financial_year_end_month: financialYearEnd.month,
      financial_year_end_day: financialYearEnd.day,
      created_at: now,
      updated_at: now,
    };
    await this.db.transaction().execute(async (trx) => {
      if (!(await buildings.insertBuilding(trx, row))) throw BuildingError.alreadyExists(id);
      const address = { street: row.street, postalCode: row.postal_code, city: row.city, country: row.country };
      const details = { name: row.name, address, externalReference: row.external_reference, financialYearEnd };
      await this.audit.record(trx, { action: 'building.create', actor: actorOf(principal), organizationId, buildingId: id, details });
    });
    return this.get(principal, id);
  }

  /** Changes what the patch names; the rest stays. */
  async update(principal: Principal, id: string, patch: BuildingPatch): Promise<BuildingSummary> {
    const before = await this.visible(principal, id);
    if (!canManageBuildings(principal)) throw AuthError.forbidden('changing a building');
    const update: BuildingRowUpdate = { updated_at: this.now().toISOString() };
    if (patch.name !== undefined) Object.assign(update, { name: patch.name, name_key: nameKey(patch.name) });
    if (patch.address?.street !== undefined) update.street = blankToNull(patch.address.street);
    if (patch.address?.postalCode !== undefined) update.postal_code = blankToNull(patch.address.postalCode);
    if (patch.address?.city !== undefined) update.city = blankToNull(patch.address.city);
    if (patch.address?.country !== undefined) update.country = patch.address.country;
    if (patch.externalReference !== undefined) update.external_reference = blankToNull(patch.externalReference);
    if (patch.financialYearEnd !== undefined) Object.assign(update, { financial_year_end_month: patch.financialYearEnd.month, financial_year_end_day: patch.financialYearEnd.day });
    const row = await this.db.transaction().execute(async (trx) => {
      const updated = await buildings.updateBuilding(trx, id, update);
      if (updated === undefined) throw BuildingError.notFound(id);
      const fields = ({ name, address, externalReference, financialYearEnd }: Building) => ({ name, address, externalReference, financialYearEnd });
      const changes = changesBetween(fields(toBuilding(before)), fields(toBuilding(updated)));
      await this.audit.record(trx, { action: 'building.update', actor: actorOf(principal), organizationId: updated.organization_id, buildingId: id, details: { changes } });
      return updated;
    });
    return this.single(principal, row);
  }

  /** The building's row when the caller may see it, else `building.not_found`. */
  private async visible(principal: Principal, id: string): Promise<BuildingRow> {
    const row = await buildings.findBuilding(this.db, id);
    if (row === undefined || !canSeeBuilding(principal, { id: row.id, organizationId: row.organization_id })) throw BuildingError.notFound(id);
    return row;
  }

  /** A superadmin names the organisation; anyone else registers in its own (naming another is refused). */
  private organizationFor(principal: Principal, requested: string | undefined): string {
    if (principal.role === 'superadmin') {
      if (requested === undefined) throw BuildingError.invalid('organizationId', 'required for a superadmin (the organisation the building belongs to)');
      return requested;
    }
    if (requested !== undefined && requested !== principal.organizationId) throw AuthError.forbidden('registering a building in another organisation');
    return principal.organizationId;
  }

  private async single(principal: Principal, row: BuildingRow): Promise<BuildingSummary> {
    const [summary] = await this.summaries(principal, [row]);
    return summary as BuildingSummary;
  }

  private async summaries(principal: Principal, rows: readonly BuildingRow[]): Promise<BuildingSummary[]> {
    const usage = await repository.buildingUsage(
      this.db,
      rows.map((row) => row.id),
    );
    return rows.map((row) => {
      const figures = usage.get(row.id);
      return {
        ...toBuilding(row),
        documents: { count: figures?.documentCount ?? 0, bytes: figures?.documentBytes ?? 0 },
        trash: { count: figures?.trashCount ?? 0, bytes: figures?.trashBytes ?? 0 },
        permissions: buildingPermissions(principal, row.id),
      };
    });
  }
}

export function toBuilding(row: BuildingRow): Building {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    address: { street: row.street, postalCode: row.postal_code, city: row.city, country: row.country.trim() },
    externalReference: row.external_reference,
    financialYearEnd: { month: Number(row.financial_year_end_month), day: Number(row.financial_year_end_day) },
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at ?? row.created_at).toISOString(),
  };
}

function blankToNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

/** Count and bytes of the documents in every organisation's trash (superadmin overview). */
export async function trashUsage(db: Kysely<Database>): Promise<{ count: number; bytes: number }> {
  return repository.trashUsage(db);
}
