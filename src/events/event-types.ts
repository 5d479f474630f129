import type { AuditAction } from '../audit/audit-actions.js';

/** The events docstore sends to webhooks (docs/events.md describes each). */
export const EVENT_TYPES = [
  'document.created',
  'document.version_added',
  'document.updated',
  'document.deleted',
  'document.restored',
  'document.purged',
  'building.created',
  'legal_hold.changed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The event of each audited action that other systems hear about (only a `success` entry makes one). */
const EVENT_OF_ACTION: Partial<Record<AuditAction, EventType>> = {
  'document.upload': 'document.created',
  'document.version_add': 'document.version_added',
  'document.update': 'document.updated',
  'document.delete': 'document.deleted',
  'document.restore': 'document.restored',
  'document.purge': 'document.purged',
  'building.create': 'building.created',
  'legal_hold.place': 'legal_hold.changed',
  'legal_hold.release': 'legal_hold.changed',
};

/** The event type an audited action makes; undefined for reads, refusals and actions other systems are not told of. */
export function eventTypeOf(action: AuditAction): EventType | undefined {
  return EVENT_OF_ACTION[action];
}
