import type { Principal } from '../shared/principal.js';
import { DOCUMENT_TYPES, type DocumentType } from './document.js';
import { AuthError } from '../auth/auth-errors.js';

/** Document types an accountant may upload and edit. */
const ACCOUNTING_TYPES: ReadonlySet<DocumentType> = new Set(['invoice', 'financial_statement']);

export type BuildingAction = 'read' | 'upload' | 'delete' | 'restore' | 'trash';

/**
 * The rules, in one place. Callers first establish that the caller may see the building
 * (`canSeeBuilding`, else they answer 404 without calling these); these then answer 403 when the
 * role is too weak.
 * - superadmin: everything;
 * - syndic: everything in every building of its organisation;
 * - accountant: read everything in its organisation; upload and edit invoices and financial statements;
 * - board_member, owner: read-only, only the buildings listed in the token.
 */
export function assertBuildingAction(principal: Principal, buildingId: string, action: BuildingAction): void {
  const refusal = buildingActionRefusal(principal, buildingId, action);
  if (refusal !== undefined) throw AuthError.forbidden(refusal);
}

/** Whether the role may take this action in the building (same rules as `assertBuildingAction`). */
export function allowsBuildingAction(principal: Principal, buildingId: string, action: BuildingAction): boolean {
  return buildingActionRefusal(principal, buildingId, action) === undefined;
}

/** The document types the role may upload and edit (empty: none). */
export function editableTypes(principal: Principal): DocumentType[] {
  if (limitedToTokenBuildings(principal)) return [];
  return DOCUMENT_TYPES.filter((type) => principal.role !== 'accountant' || ACCOUNTING_TYPES.has(type));
}

/** What a role may do in a building, for clients to show the right actions (the API still checks each request). */
export interface BuildingPermissions {
  read: boolean;
  upload: boolean;
  edit: boolean;
  delete: boolean;
  restore: boolean;
  trash: boolean;
  /** Types the caller may upload and edit here (empty: none). */
  uploadTypes: DocumentType[];
  /** Rename the building, change its address or financial-year end. */
  manage: boolean;
}

export function buildingPermissions(principal: Principal, buildingId: string): BuildingPermissions {
  const allows = (action: BuildingAction) => allowsBuildingAction(principal, buildingId, action);
  const types = editableTypes(principal);
  return {
    read: allows('read'),
    upload: allows('upload'),
    edit: allows('read') && types.length > 0,
    delete: allows('delete'),
    restore: allows('restore'),
    trash: allows('trash'),
    uploadTypes: allows('upload') ? types : [],
    manage: canManageBuildings(principal),
  };
}

/** Whether the role registers buildings and changes their name, address and financial-year end: syndics (their organisation's) and superadmins. */
export function canManageBuildings(principal: Principal): boolean {
  return principal.role === 'superadmin' || principal.role === 'syndic';
}

/** What is refused, or undefined when the action is allowed. */
function buildingActionRefusal(principal: Principal, buildingId: string, action: BuildingAction): string | undefined {
  switch (principal.role) {
    case 'superadmin':
    case 'syndic':
      return undefined;
    case 'accountant':
      return action === 'read' || action === 'upload' ? undefined : action;
    case 'board_member':
    case 'owner':
      if (!principal.buildingIds.includes(buildingId)) return 'a building outside the token';
      return action === 'read' ? undefined : action;
  }
}

/** Whether the role sees only the buildings its token lists. */
function limitedToTokenBuildings(principal: Principal): boolean {
  return principal.role === 'board_member' || principal.role === 'owner';
}

/** Storage and usage figures of every organisation: superadmins only. */
export function assertSuperadmin(principal: Principal, what: string): void {
  if (principal.role !== 'superadmin') throw AuthError.forbidden(what);
}

/** Whether the role may upload or edit a document of this type (checked after `assertBuildingAction`). */
export function assertTypeAllowed(principal: Principal, type: DocumentType, action: 'upload' | 'edit'): void {
  if (principal.role === 'accountant' && !ACCOUNTING_TYPES.has(type)) {
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
