import type { Principal } from '../auth/principal.js';
import type { DocumentType } from './document.js';
import { DocumentError } from './document-errors.js';

/** Document types an accountant may upload and edit. */
const ACCOUNTING_TYPES: ReadonlySet<DocumentType> = new Set(['invoice', 'financial_statement']);

export type BuildingAction = 'read' | 'upload' | 'delete' | 'restore' | 'trash';

/**
 * The rules, in one place. Callers first establish that the building belongs to the caller's
 * organisation (else they answer 404 without calling these); these then answer 403 when the role
 * is too weak.
 * - superadmin: everything;
 * - syndic: everything in every building of its organisation;
 * - accountant: read everything in its organisation; upload and edit invoices and financial statements;
 * - board_member, owner: read-only, only the buildings listed in the token.
 */
export function assertBuildingAction(principal: Principal, buildingId: string, action: BuildingAction): void {
  switch (principal.role) {
    case 'superadmin':
    case 'syndic':
      return;
    case 'accountant':
      if (action === 'read' || action === 'upload') return;
      throw DocumentError.forbidden(action);
    case 'board_member':
    case 'owner':
      if (!principal.buildingIds.includes(buildingId)) throw DocumentError.forbidden(`access to building ${buildingId}`);
      if (action === 'read') return;
      throw DocumentError.forbidden(action);
  }
}

/** Whether the role may upload or edit a document of this type (checked after `assertBuildingAction`). */
export function assertTypeAllowed(principal: Principal, type: DocumentType, action: 'upload' | 'edit'): void {
  if (principal.role === 'accountant' && !ACCOUNTING_TYPES.has(type)) {
    throw DocumentError.forbidden(`${action} of ${type} documents`);
  }
  if (action === 'edit' && (principal.role === 'board_member' || principal.role === 'owner')) {
    throw DocumentError.forbidden(action);
  }
}

/** Whether the caller can see anything of this organisation's data at all (else: 404). */
export function canSeeOrganization(principal: Principal, organizationId: string): boolean {
  return principal.role === 'superadmin' || principal.organizationId === organizationId;
}
