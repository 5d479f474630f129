import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { displayedEndpoint } from './webhook-settings.js';


/** `pending` (waiting, maybe for a retry, or being sent under a lease), `delivered` (a 2xx answer), `dead` (attempts ran out). */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A claimed delivery with what is sent. */
export interface ClaimedDelivery {
  eventId: string;
  endpoint: string;
  type: string;
  payload: string;
  /** This attempt's number (1 for the first). */
  attempt: number;
  /** When the delivery was queued: the queue-age metric reads it. */
  createdAt: Date;
}

type Deliveries = ExpressionBuilder<Database, 'event_deliveries'>;

/**
 * Ready at `at`: pending, under no live lease, and with no earlier event of the same ordering key
 * still pending for the same endpoint (a dead one does not hold the rest up).
 */
const ready = (at: string) => (eb: Deliveries) =>
  eb.and([
    eb('event_deliveries.status', '=', 'pending'),
    eb.or([eb('event_deliveries.lease_expires_at', 'is', null), eb('event_deliveries.lease_expires_at', '<', at)]),
    eb.not(
      eb.exists(
        eb
          .selectFrom('event_deliveries as earlier')
          .select(sql.lit(1).as('one'))
          .whereRef('earlier.endpoint', '=', 'event_deliveries.endpoint')
          .whereRef('earlier.ordering_key', '=', 'event_deliveries.ordering_key')
          .whereRef('earlier.event_seq', '<', 'event_deliveries.event_seq')
          .where('earlier.status', '=', 'pending'),
      ),
    ),
  ]);

/** Ready and past its retry time. */
const due = (at: string) => (eb: Deliveries) => eb.and([ready(at)(eb), eb('event_deliveries.next_attempt_at', '<=', at)]);

/** This delivery, held under `owner`'s lease. */
const held = (delivery: Pick<ClaimedDelivery, 'eventId' | 'endpoint'>, owner: string) => (eb: Deliveries) =>
  eb.and([eb('event_id', '=', delivery.eventId), eb('endpoint', '=', delivery.endpoint), eb('status', '=', 'pending'), eb('lease_owner', '=', owner)]);

/**
 * Claims up to `limit` due deliveries for `owner` until `leaseMs` from now, oldest events first.
 * Each candidate is taken by an UPDATE that re-checks it is due, so of two instances racing for one
 * delivery exactly one gets it, on SQLite and PostgreSQL alike (PostgreSQL re-evaluates the row it
 * waited for). The attempt count goes up with the claim: an attempt that kills its process counts.
 */
export async function claimDeliveries(db: Kysely<Database>, owner: string, now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
  const at = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const candidates = await db
    .selectFrom('event_deliveries')
    .select(['event_id', 'endpoint'])
    .where(due(at))
    .orderBy('event_seq')
    .limit(limit * 2)
    .execute();
  const claimed: ClaimedDelivery[] = [];
  for (const candidate of candidates) {
    if (claimed.length >= limit) break;
    const taken = await db
      .updateTable('event_deliveries')
      .set((eb) => ({ lease_owner: owner, lease_expires_at: until, attempts: eb('attempts', '+', 1), updated_at: at }))
      .where('event_id', '=', candidate.event_id)
      .where('endpoint', '=', candidate.endpoint)
      .where(due(at))
      .returning(['event_id', 'endpoint', 'attempts', 'created_at'])
      .executeTakeFirst();
    if (taken === undefined) continue;
    const event = await db.selectFrom('events').select(['type', 'payload']).where('id', '=', taken.event_id).executeTakeFirstOrThrow();
    claimed.push({ eventId: taken.event_id, endpoint: taken.endpoint, type: event.type, payload: event.payload, attempt: taken.attempts, createdAt: new Date(taken.created_at) });
  }
  return claimed;
}

/** Ends a held delivery `delivered`; false when its lease was lost meanwhile (another instance may send it again). */
export async function markDelivered(db: Kysely<Database>, delivery: ClaimedDelivery, owner: string, now: Date): Promise<boolean> {
  const at = now.toISOString();
  const result = await db
    .updateTable('event_deliveries')
    .set({ status: 'delivered', delivered_at: at, lease_owner: null, lease_expires_at: null, last_error: null, updated_at: at })
    .where(held(delivery, owner))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Puts a failed attempt back in the queue for `retryAt`, or ends the delivery `dead` (no `retryAt`: the last attempt). */
export async function markFailed(db: Kysely<Database>, delivery: ClaimedDelivery, owner: string, error: string, retryAt: Date | undefined, now: Date): Promise<void> {
  await db
    .updateTable('event_deliveries')
    .set({
      status: retryAt === undefined ? 'dead' : 'pending',
      next_attempt_at: (retryAt ?? now).toISOString(),
      last_error: error.slice(0, 1000),
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now.toISOString(),
    })
    .where(held(delivery, owner))
    .execute();
}

/**
 * The next retry time of a delivery ready at `now` (not held up by a lease or an earlier event), to
 * sleep until; undefined when none is. Leases held elsewhere end with their holder's answer, which
 * this instance hears of at its next idle poll.
 */
export async function nextDueAt(db: Kysely<Database>, now: Date): Promise<Date | undefined> {
  const row = await db.selectFrom('event_deliveries').select((eb) => eb.fn.min('next_attempt_at').as('next')).where(ready(now.toISOString())).executeTakeFirst();
  return row?.next === null || row?.next === undefined ? undefined : new Date(row.next);
}

/** Deliveries by status (every status listed, zero included). */
export async function countDeliveries(db: Kysely<Database>): Promise<Record<DeliveryStatus, number>> {
  const rows = await db.selectFrom('event_deliveries').select(['status', (eb) => eb.fn.countAll<string | number>().as('count')]).groupBy('status').execute();
  const counts = Object.fromEntries(DELIVERY_STATUSES.map((status) => [status, 0])) as Record<DeliveryStatus, number>;
  for (const row of rows) if (row.status in counts) counts[row.status as DeliveryStatus] = Number(row.count);
  return counts;
}

/** When the oldest pending delivery was queued; undefined when none is pending. */
export async function oldestPendingAt(db: Kysely<Database>): Promise<Date | undefined> {
  const row = await db.selectFrom('event_deliveries').select((eb) => eb.fn.min('created_at').as('oldest')).where('status', '=', 'pending').executeTakeFirst();
  return row?.oldest === null || row?.oldest === undefined ? undefined : new Date(row.oldest);
}

/** A delivery as `docstore events list` shows it (a password in the endpoint's URL masked). */
export interface DeliveryListing {
  eventId: string;
  type: string;
  occurredAt: string;
  documentId: string | null;
  buildingId: string | null;
  endpoint: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** Deliveries of a status (or all), oldest event first, at most `limit`. */
export async function listDeliveries(db: Kysely<Database>, filter: { status?: DeliveryStatus; limit: number }): Promise<DeliveryListing[]> {
  let query = db
    .selectFrom('event_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select(['d.event_id', 'e.type', 'e.occurred_at', 'e.document_id', 'e.building_id', 'd.endpoint', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.last_error', 'd.delivered_at'])
    .orderBy('d.event_seq')
    .orderBy('d.endpoint')
    .limit(filter.limit);
  if (filter.status !== undefined) query = query.where('d.status', '=', filter.status);
  const rows = await query.execute();
  const iso = (value: string | Date | null) => (value === null ? null : new Date(value).toISOString());
  return rows.map((row) => ({
    eventId: row.event_id,
    type: row.type,
    occurredAt: new Date(row.occurred_at).toISOString(),
    documentId: row.document_id,
    buildingId: row.building_id,
    endpoint: displayedEndpoint(row.endpoint),
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    lastError: row.last_error,
    deliveredAt: iso(row.delivered_at),
  }));
}

/**
 * Queues deliveries again, now, with their attempts reset: every delivery of one event (whatever
 * its status: a receiver that lost it gets it again, same id), or every dead one. Returns how many.
 */
export async function replayDeliveries(db: Kysely<Database>, which: { eventId: string } | { dead: true }, now: Date): Promise<number> {
  const at = now.toISOString();
  let query = db.updateTable('event_deliveries').set({ status: 'pending', attempts: 0, next_attempt_at: at, lease_owner: null, lease_expires_at: null, updated_at: at, delivered_at: null });
  query = 'eventId' in which ? query.where('event_id', '=', which.eventId).where('status', '!=', 'pending') : query.where('status', '=', 'dead');
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Whether an event of this id exists. */
export async function eventExists(db: Kysely<Database>, eventId: string): Promise<boolean> {
  return (await db.selectFrom('events').select('id').where('id', '=', eventId).executeTakeFirst()) !== undefined;
}

/**
 * Removes up to `limit` events delivered to every endpoint before `before` (their deliveries go
 * with them); events with a pending or dead delivery stay. Returns how many were removed. The
 * audit trail keeps every change for good: this is only the outbox's record of sending.
 */
export async function pruneDelivered(db: Kysely<Database>, before: Date, limit: number): Promise<number> {
  const cutoff = before.toISOString();
  // Delivered everywhere before the cut-off: no delivery that is not, checked again by the DELETE (a replay meanwhile keeps its event).
  const prunable = (eb: ExpressionBuilder<Database, 'events'>) =>
    eb.not(
      eb.exists(
        eb
          .selectFrom('event_deliveries as d')
          .select(sql.lit(1).as('one'))
          .whereRef('d.event_id', '=', 'events.id')
          .where((inner) => inner.or([inner('d.status', '!=', 'delivered'), inner('d.delivered_at', '>=', cutoff)])),
      ),
    );
  const ids = await db.selectFrom('events').select('id').where(prunable).orderBy('seq').limit(limit).execute();
  if (ids.length === 0) return 0;
  // The deliveries go with their event (ON DELETE CASCADE).
  const result = await db.deleteFrom('events').where('id', 'in', ids.map((row) => row.id)).where(prunable).executeTakeFirst();
  return Number(result.numDeletedRows);
}
