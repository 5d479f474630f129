import { createHash } from 'node:crypto';
import { AuditError } from '../audit-errors.js';
import type { AuditFilter } from './audit-repository.js';

/**
 * What a cursor is bound to: the organisation and the filters, as a short digest. A cursor from
 * another listing is refused rather than silently mixing two listings.
 */
export function auditCursorScope(organizationId: string, filter: AuditFilter): string {
  const fields = [organizationId, filter.buildingId, filter.documentId, filter.actor, filter.action, filter.outcome, filter.from, filter.to].map((value) => value ?? null);
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url').slice(0, 16);
}

/** An opaque cursor: the last id of the page and its listing's scope, base64url JSON. */
export function encodeAuditCursor(scope: string, lastId: number): string {
  return Buffer.from(JSON.stringify({ v: 1, s: scope, i: lastId }), 'utf8').toString('base64url');
}

/** The last id the cursor's page ended on; `audit.invalid_cursor` when malformed or of another listing. */
export function decodeAuditCursor(cursor: string, scope: string): number {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw AuditError.invalidCursor('is malformed', { cause: error });
  }
  const { v, s, i } = (payload ?? {}) as Record<string, unknown>;
  if (v !== 1 || typeof s !== 'string' || typeof i !== 'number' || !Number.isSafeInteger(i) || i < 1) throw AuditError.invalidCursor('is malformed');
  if (s !== scope) throw AuditError.invalidCursor('belongs to another listing (other filters or organisation)');
  return i;
}
