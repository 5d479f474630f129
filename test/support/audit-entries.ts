import type { Kysely } from 'kysely';
import type { AuditAction } from '../../src/audit/audit-actions.js';
import type { AuditEntry } from '../../src/audit/audit-entry.js';
import { toAuditEntry } from '../../src/audit/audit-mapping.js';
import type { Database } from '../../src/db/database.js';

/** The audit entries recorded, read from `audit_entries` directly (oldest first), optionally of one document, building or action. */
export async function auditEntries(db: Kysely<Database>, filter: { documentId?: string; buildingId?: string; action?: AuditAction; organizationId?: string } = {}): Promise<AuditEntry[]> {
  let query = db.selectFrom('audit_entries').selectAll().orderBy('id');
  if (filter.documentId !== undefined) query = query.where('document_id', '=', filter.documentId);
  if (filter.buildingId !== undefined) query = query.where('building_id', '=', filter.buildingId);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.organizationId !== undefined) query = query.where('organization_id', '=', filter.organizationId);
  return (await query.execute()).map(toAuditEntry);
}

/** The one entry of `action` among these, failing when there is not exactly one. */
export function onlyEntry(entries: readonly AuditEntry[], action: AuditAction): AuditEntry {
  const found = entries.filter((entry) => entry.action === action);
  if (found.length !== 1) throw new Error(`expected one ${action} entry, found ${found.length}: ${JSON.stringify(entries.map((entry) => entry.action))}`);
  return found[0] as AuditEntry;
}
