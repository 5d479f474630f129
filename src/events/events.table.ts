import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * One row per event, written by the outbox in the transaction of the change it tells about
 * (`EventOutbox`). `id` is the event's idempotency key: receivers dedupe on it. Timestamps are
 * ISO-8601 strings (UTC) on SQLite, timestamptz on PostgreSQL.
 */
export interface EventsTable {
  /** A UUID, sent in `Docstore-Event-Id` and in the body. */
  id: string;
  /** Insertion order (bigserial on PostgreSQL, read back as a string): the order of delivery per `ordering_key`. */
  seq: Generated<number | string>;
  type: string;
  organization_id: string;
  building_id: string | null;
  document_id: string | null;
  /** What events are delivered in order for: `document:<id>`, else `building:<id>`, else `organization:<id>`. */
  ordering_key: string;
  occurred_at: string | Date;
  /** The JSON body POSTed to each endpoint, exactly (the signature covers these bytes). */
  payload: string;
  /** The audit entry the event was made from. */
  audit_entry_id: number | string;
}

/**
 * One row per event and endpoint. `pending` until the endpoint answers 2xx (`delivered`) or the
 * attempts run out (`dead`); a dispatcher holds a pending row under a lease while it sends.
 */
export interface EventDeliveriesTable {
  event_id: string;
  endpoint: string;
  /** The event's `seq` and `ordering_key`, copied so that the queue is read without a join. */
  event_seq: number | string;
  ordering_key: string;
  status: string;
  attempts: number;
  next_attempt_at: string | Date;
  lease_owner: string | null;
  lease_expires_at: string | Date | null;
  /** What the last failed attempt met: `HTTP 500`, `timeout after 10 s`, a connection error. */
  last_error: string | null;
  created_at: string | Date;
  updated_at: string | Date;
  delivered_at: string | Date | null;
}

export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type EventDeliveryRow = Selectable<EventDeliveriesTable>;
