import type { FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import type { Principal } from '../shared/principal.js';
import type { Database } from '../db/database.js';
import { IdempotencyError } from '../idempotency/idempotency-errors.js';
import { IdempotencyStore } from '../idempotency/idempotency-store.js';

/** Records the outcome inside the transaction that commits the request's effect. */
export type BeforeCommit<T> = (trx: Transaction<Database>, result: T) => Promise<void>;

export type IdempotentOutcome<T> = { replayed: false; result: T } | { replayed: true; status: number; body: unknown };

/**
 * The `Idempotency-Key` header: 1–255 printable ASCII characters, bare (as Stripe takes it) or as a
 * quoted structured-field string (as draft-ietf-httpapi-idempotency-key-header writes it).
 */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw IdempotencyError.invalidKey('must be sent once');
  const key = /^"[^"\\]*"$/.test(header) ? header.slice(1, -1) : header;
  if (key.length === 0 || key.length > 255) throw IdempotencyError.invalidKey('must be 1 to 255 characters');
  if (!/^[\x20-\x7e]+$/.test(key)) throw IdempotencyError.invalidKey('must be printable ASCII');
  return key;
}

/**
 * Runs `execute` once per `Idempotency-Key` of a principal (token subject and organisation): a
 * request without the header just runs; the first with a key reserves it and records its success
 * with its own commit (through `beforeCommit`); a retry gets that outcome back instead of running
 * again; a failure frees the key for the next attempt. `status` is the success status to record.
 */
export async function runIdempotently<T>(
  store: IdempotencyStore,
  request: FastifyRequest,
  principal: Principal,
  status: number,
  execute: (beforeCommit?: BeforeCommit<T>) => Promise<T>,
): Promise<IdempotentOutcome<T>> {
  const key = idempotencyKeyOf(request);
  if (key === undefined) return { replayed: false, result: await execute() };
  const scope = { organizationId: principal.organizationId, subject: principal.userId };
  const target = request.url.split('?')[0] ?? request.url;
  const outcome = await store.reserve(scope, key, IdempotencyStore.fingerprint(request.method, target));
  if (outcome.kind === 'replay') return { replayed: true, status: outcome.status, body: outcome.body };
  const { reservation } = outcome;
  try {
    const result = await execute((trx, value) => store.complete(trx, reservation, status, value));
    store.settled(reservation);
    return { replayed: false, result };
  } catch (error) {
    await store.release(reservation).catch((releaseError: unknown) => {
      request.log.warn({ err: releaseError }, 'could not free the Idempotency-Key; its lock expires by itself');
    });
    throw error;
  }
}
