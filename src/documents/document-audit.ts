import type { AuditAction, AuditOutcome } from '../audit/audit-actions.js';
import type { AuditActor, AuditEntryInput } from '../audit/audit-entry.js';

/** What an entry about a document names: its organisation (the chain), building and id. */
export interface AuditedDocument {
  id: string;
  organizationId: string;
  buildingId: string;
}

/** The entry of an action on a document (`AuditLog.record`). */
export function documentEntry(
  action: AuditAction,
  actor: AuditActor,
  document: AuditedDocument,
  more: { version?: number | null; outcome?: AuditOutcome; details?: Record<string, unknown> } = {},
): AuditEntryInput {
  return {
    action,
    actor,
    organizationId: document.organizationId,
    buildingId: document.buildingId,
    documentId: document.id,
    ...(more.version === undefined ? {} : { version: more.version }),
    ...(more.outcome === undefined ? {} : { outcome: more.outcome }),
    ...(more.details === undefined ? {} : { details: more.details }),
  };
}

/** A row's identity as an audit entry names it. */
export function auditedRow(row: { id: string; organization_id: string; building_id: string }): AuditedDocument {
  return { id: row.id, organizationId: row.organization_id, buildingId: row.building_id };
}
