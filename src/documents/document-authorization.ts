import { AuthError } from '../auth/auth-errors.js';
import { buildingActionRefusal, limitedToTokenBuildings, typeAllowedFor, type BuildingAction } from '../shared/building-permissions.js';
import type { DocumentType } from '../shared/document.js';
import type { Principal } from '../shared/principal.js';

/**
 * The role rules (`src/shared/building-permissions.ts`, which the web console runs too) as the API
 * enforces them: a refusal is 403 `auth.forbidden`; a building or organisation the caller may not
 * see is 404, decided here before any rule.
 */
export function assertBuildingAction(principal: Principal, buildingId: string, action: BuildingAction): void {
  const refusal = buildingActionRefusal(principal, buildingId, action);
  if (refusal !== undefined) throw AuthError.forbidden(refusal);
}

/** Storage and usage figures of every organisation: superadmins only. */
export function assertSuperadmin(principal: Principal, what: string): void {
  if (principal.role !== 'superadmin') throw AuthError.forbidden(what);
}

/** Whether the role may upload or edit a document of this type (checked after `assertBuildingAction`). */
export function assertTypeAllowed(principal: Principal, type: DocumentType, action: 'upload' | 'edit'): void {
  if (!typeAllowedFor(principal, type)) {
    throw AuthError.forbidden(`${action} of ${type} documents`);
  }
  if (action === 'edit' && limitedToTokenBuildings(principal)) {
    throw AuthError.forbidden(action);
  }
}

/** Whether the caller can see anything of this organisation's data at all (else: 404). */
export function canSeeOrganization(principal: Principal, organizationId: string): boolean {
  return principal.role === 'superadmin' || principal.organizationId === organizationId;
}

/**
 * Whether the caller may learn that this building exists (else: 404, worded exactly as for a
 * building or document that does not exist): a superadmin every building, a syndic or accountant
 * its organisation's, a board member or owner only the buildings of its token that belong to its
 * organisation. A 403 would tell an owner that a building outside its token is in use.
 */
export function canSeeBuilding(principal: Principal, building: { id: string; organizationId: string }): boolean {
  if (!canSeeOrganization(principal, building.organizationId)) return false;
  return !limitedToTokenBuildings(principal) || principal.buildingIds.includes(building.id);
}
