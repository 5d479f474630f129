import { AuthError } from '../../auth/auth-errors.js';
import { BuildingError } from '../../buildings/building-errors.js';
import { canSeeOrganization } from '../../documents/document-authorization.js';
import { DocumentError } from '../../documents/document-errors.js';
import { editableTypes, limitedToTokenBuildings } from '../../shared/building-permissions.js';
import type { DocumentType } from '../../shared/document.js';
import type { Principal } from '../../shared/principal.js';
import type { AuditAction } from '../audit-actions.js';

/**
 * The changes to documents and buildings an owner sees in the buildings of its token, whoever made
 * them (docs/audit.md, "Who sees what"). Reads, searches, links, exports and refusals are not
 * changes: an owner sees those only when they are its own.
 */
export const OWNER_VISIBLE_CHANGES: readonly AuditAction[] = [
  'document.upload',
  'document.version_add',
  'document.update',
  'document.delete',
  'document.restore',
  'document.purge',
  'document.damaged',
  'retention.change',
  'legal_hold.place',
  'legal_hold.release',
  'building.create',
  'building.update',
];

/**
 * Which entries of one organisation's trail a caller sees, and which of their fields. The
 * repository turns it into the query's `where` (`auditViewWhere`): nothing outside it is read.
 * Every caller also sees its own entries in the organisation (GDPR art. 15, access to one's own data).
 */
export interface AuditView {
  organizationId: string;
  /** The caller's token subject: its own entries (`actor_kind = 'user'`) are always in its view. */
  subject: string;
  /** Null: entries of every building and of none; otherwise only these buildings' entries. */
  buildingIds: readonly string[] | null;
  /**
   * `all`: every entry of those buildings; `changes`: only `OWNER_VISIBLE_CHANGES`; `documents`:
   * only entries about documents of `documentTypes` (the accountant's).
   */
  entries: 'all' | 'changes' | 'documents';
  documentTypes: readonly DocumentType[];
  /** Whether client addresses, user agents and request ids are shown (else they read as null). */
  origin: boolean;
}

/**
 * The caller's view of `organizationId`'s trail (its own organisation when not named):
 * - superadmin: any organisation's whole trail, `*` the instance's own actions;
 * - syndic: its organisation's whole trail;
 * - accountant: the entries about invoices and financial statements (the types it files), no origin;
 * - board_member: the trail of its token's buildings, no origin;
 * - owner: the changes in its token's buildings, no origin.
 * Another organisation is 404 (`documents.not_found`, as elsewhere), never an empty page.
 */
export function auditViewFor(principal: Principal, organizationId = principal.organizationId): AuditView {
  if (!canSeeOrganization(principal, organizationId)) throw DocumentError.notFound('Organization', organizationId);
  const base = { organizationId, subject: principal.userId, documentTypes: [] as DocumentType[] };
  switch (principal.role) {
    case 'superadmin':
    case 'syndic':
      return { ...base, buildingIds: null, entries: 'all', origin: true };
    case 'accountant':
      return { ...base, buildingIds: null, entries: 'documents', documentTypes: editableTypes(principal), origin: false };
    case 'board_member':
      return { ...base, buildingIds: principal.buildingIds, entries: 'all', origin: false };
    case 'owner':
      return { ...base, buildingIds: principal.buildingIds, entries: 'changes', origin: false };
  }
}

/** A building filter outside the caller's token is 404, as the building itself would be. */
export function assertBuildingInView(principal: Principal, buildingId: string): void {
  if (limitedToTokenBuildings(principal) && !principal.buildingIds.includes(buildingId)) throw BuildingError.notFound(buildingId);
}

/** Exporting a building's trail: syndics, superadmins and board members (their token's buildings, without origin). */
export function assertMayExport(principal: Principal, buildingId: string): void {
  if (principal.role === 'owner' || principal.role === 'accountant') throw AuthError.forbidden('exporting the audit trail');
  assertBuildingInView(principal, buildingId);
}
