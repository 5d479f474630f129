import type { ActorKind, AuditAction, AuditOutcome } from './audit-actions.js';
import type { AuditEntry } from './audit-entry.js';
import type { AuditEntryRow } from './audit.table.js';

/** A row as the API shows it (timestamps ISO-8601 UTC, details parsed). */
export function toAuditEntry(row: AuditEntryRow): AuditEntry {
  return {
    id: Number(row.id),
    organizationId: row.organization_id,
    at: new Date(row.at).toISOString(),
    actor: { kind: row.actor_kind as ActorKind, subject: row.actor_subject, role: row.actor_role },
    action: row.action as AuditAction,
    outcome: row.outcome as AuditOutcome,
    buildingId: row.building_id,
    documentId: row.document_id,
    version: row.version,
    requestId: row.request_id,
    clientAddress: row.client_address,
    userAgent: row.user_agent,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    chainSeq: row.chain_seq === null ? null : Number(row.chain_seq),
    entryHash: row.entry_hash,
  };
}
