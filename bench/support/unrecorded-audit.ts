import type { AuditEntry, AuditEntryInput } from '../../src/audit/audit-entry.js';
import type { AuditLog } from '../../src/audit/audit-log.js';

/**
 * Makes a service's audit log record nothing: `record` answers the entry it would have written
 * without touching the database (nor the listeners, nor the sealer). `bench:api` runs a second
 * server so, to measure in the same run what the audit trail costs an upload and a download.
 * Every part of the service holds this one log, so replacing its method reaches them all.
 * Benchmarks only: a service that does not record breaks the archive's promise.
 */
export function recordNothing(log: AuditLog): void {
  let id = 0;
  log.record = async (_executor, input: AuditEntryInput): Promise<AuditEntry> => ({
    id: ++id,
    organizationId: input.organizationId,
    at: new Date().toISOString(),
    actor: { kind: input.actor.kind, subject: input.actor.subject, role: input.actor.role },
    action: input.action,
    outcome: input.outcome ?? 'success',
    buildingId: input.buildingId ?? null,
    documentId: input.documentId ?? null,
    version: input.version ?? null,
    requestId: input.actor.requestId ?? null,
    clientAddress: input.actor.clientAddress ?? null,
    userAgent: input.actor.userAgent ?? null,
    details: input.details ?? null,
    chainSeq: null,
    entryHash: null,
  });
}
