import type { Kysely } from 'kysely';
import type { Principal } from '../shared/principal.js';
import type { Database } from '../db/database.js';
import type { BuildingAction } from '../shared/building-permissions.js';
import { assertBuildingAction, canSeeBuilding } from './document-authorization.js';
import { DocumentError } from './document-errors.js';
import * as repository from './document-repository.js';
import type { DocumentRow } from './documents.table.js';

/**
 * Establishes the building's organisation and the caller's right to act in it. A building the
 * caller may not see (`canSeeBuilding`), or one not registered (`POST /buildings`), is `not found`
 * for every action, uploads included (both answer alike, so existence is not revealed).
 */
export async function authorizeBuilding(
  db: Kysely<Database>,
  principal: Principal,
  buildingId: string,
  action: BuildingAction,
): Promise<{ organizationId: string; financialYearEnd: { month: number; day: number } }> {
  const building = await repository.findBuilding(db, buildingId);
  if (building === undefined || !canSeeBuilding(principal, { id: buildingId, organizationId: building.organization_id })) {
    throw DocumentError.notFound('Building', buildingId);
  }
  assertBuildingAction(principal, buildingId, action);
  return { organizationId: building.organization_id, financialYearEnd: { month: Number(building.financial_year_end_month), day: Number(building.financial_year_end_day) } };
}

/**
 * The document's row when the caller may act on it: one it may not see, or in the trash when
 * `deleted` is false (outside it when true), is `documents.not_found`.
 */
export async function authorizedDocument(db: Kysely<Database>, principal: Principal, id: string, action: BuildingAction, deleted = false): Promise<DocumentRow> {
  return authorized(await repository.findDocument(db, id), principal, id, action, deleted);
}

/** `authorizedDocument` outside the trash, with the number of its current version (null without version rows), read in the same statement. */
export async function authorizedDocumentWithVersion(db: Kysely<Database>, principal: Principal, id: string, action: BuildingAction): Promise<DocumentRow & { current_version: number | null }> {
  return authorized(await repository.findDocumentWithVersion(db, id), principal, id, action, false);
}

function authorized<T extends DocumentRow>(row: T | undefined, principal: Principal, id: string, action: BuildingAction, deleted: boolean): T {
  if (row === undefined || !canSeeBuilding(principal, { id: row.building_id, organizationId: row.organization_id }) || (row.deleted_at !== null) !== deleted) {
    throw DocumentError.notFound('Document', id);
  }
  assertBuildingAction(principal, row.building_id, action);
  return row;
}
