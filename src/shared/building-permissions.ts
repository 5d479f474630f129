import { DOCUMENT_TYPES, type DocumentType } from './document.js';
import type { Principal } from './principal.js';

/*
 * The role rules, in one place: the API enforces them (`documents/document-authorization.ts`, 403)
 * and the web console runs them to show only the actions a role may take. Callers first establish
 * that the caller may see the building (`canSeeBuilding`, else 404); these rules then decide.
 * - superadmin: everything;
 * - syndic: everything in every building of its organisation;
 * - accountant: read everything in its organisation; upload and edit invoices and financial statements;
 * - board_member, owner: read-only, only the buildings listed in the token.
 */

/** Document types an accountant may upload and edit. */
const ACCOUNTING_TYPES: ReadonlySet<DocumentType> = new Set(['invoice', 'financial_statement']);

export type BuildingAction = 'read' | 'upload' | 'delete' | 'restore' | 'trash';

/** Whether the role may take this action in the building (`buildingActionRefusal` says why not). */
export function allowsBuildingAction(principal: Principal, buildingId: string, action: BuildingAction): boolean {
  return buildingActionRefusal(principal, buildingId, action) === undefined;
}

/** The document types the role may upload and edit (empty: none). */
export function editableTypes(principal: Principal): DocumentType[] {
  if (limitedToTokenBuildings(principal)) return [];
  return DOCUMENT_TYPES.filter((type) => typeAllowedFor(principal, type));
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

/** What is refused (the 403's detail), or undefined when the action is allowed. */
export function buildingActionRefusal(principal: Principal, buildingId: string, action: BuildingAction): string | undefined {
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
export function limitedToTokenBuildings(principal: Principal): boolean {
  return principal.role === 'board_member' || principal.role === 'owner';
}

/** Whether the role may upload or edit documents of this type at all (an accountant: accounting documents only). */
export function typeAllowedFor(principal: Principal, type: DocumentType): boolean {
  return principal.role !== 'accountant' || ACCOUNTING_TYPES.has(type);
}
