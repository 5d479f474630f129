import type { AuditEntry } from '../audit/audit-entry.js';
import type { EventType } from './event-types.js';

/** What a document looked like when the event was written (absent once purged). */
export interface EventDocument {
  title: string;
  type: string;
  fileName: string;
  mimeType: string;
  size: number;
  sha256: string;
  status: string;
  deletedAt: string | null;
}

/**
 * The JSON body POSTed to each endpoint (docs/events.md). `id` is the idempotency key: the same
 * event sent again (a retry, a replay) has the same id.
 */
export interface WebhookEvent {
  id: string;
  type: EventType;
  /** When the change was recorded (ISO-8601, UTC). */
  occurredAt: string;
  organizationId: string;
  buildingId: string | null;
  documentId: string | null;
  version: number | null;
  actor: AuditEntry['actor'];
  /** The request that made the change, to correlate with docstore's logs and audit trail. */
  requestId: string | null;
  /** `legal_hold.changed` only: whether a hold was placed or released (other holds may remain). */
  hold?: 'placed' | 'released';
  document?: EventDocument;
  /** What the audit entry says of the change (`changes: { field: { from, to } }`, a reason…). */
  details: Record<string, unknown>;
}

/** The event for `entry`, as sent. */
export function webhookEventOf(id: string, type: EventType, entry: AuditEntry, document: EventDocument | undefined): WebhookEvent {
  return {
    id,
    type,
    occurredAt: entry.at,
    organizationId: entry.organizationId,
    buildingId: entry.buildingId,
    documentId: entry.documentId,
    version: entry.version,
    actor: entry.actor,
    requestId: entry.requestId,
    ...(type === 'legal_hold.changed' ? { hold: entry.action === 'legal_hold.place' ? ('placed' as const) : ('released' as const) } : {}),
    ...(document === undefined ? {} : { document }),
    details: entry.details ?? {},
  };
}

/** Events of one document go out in order; other events in order per building, else per organisation. */
export function orderingKeyOf(entry: Pick<AuditEntry, 'organizationId' | 'buildingId' | 'documentId'>): string {
  if (entry.documentId !== null) return `document:${entry.documentId}`;
  if (entry.buildingId !== null) return `building:${entry.buildingId}`;
  return `organization:${entry.organizationId}`;
}
