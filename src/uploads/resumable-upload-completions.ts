import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { IdempotencyStore, type IdempotencyReservation } from '../idempotency/idempotency-store.js';
import type { Principal } from '../shared/principal.js';

/** What a finished upload became, kept for its creator (as long as an `Idempotency-Key`'s outcome). */
export interface ResumableUploadCompletion {
  documentId: string;
  version: number;
  length: number;
}

export type CompletionClaim =
  | { kind: 'claimed'; reservation: IdempotencyReservation }
  | { kind: 'completed'; completion: ResumableUploadCompletion };

/**
 * At most one document per finished upload, across instances: the completion takes the upload's
 * key in the idempotency store (`tus:{id}`, scoped to its creator) and records the document it made
 * in the transaction of the document's row. A second completion (the final PATCH retried on another
 * instance) finds the key held (`idempotency.in_progress`) or the document already made.
 */
export class ResumableUploadCompletions {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: IdempotencyStore,
  ) {}

  async claim(principal: Principal, id: string): Promise<CompletionClaim> {
    const outcome = await this.store.reserve(scopeOf(principal), keyOf(id), fingerprintOf(id));
    if (outcome.kind === 'replay') return { kind: 'completed', completion: outcome.body as ResumableUploadCompletion };
    return { kind: 'claimed', reservation: outcome.reservation };
  }

  /** Records the completion inside the transaction that commits the document (or its version). */
  record(trx: Transaction<Database>, reservation: IdempotencyReservation, completion: ResumableUploadCompletion): Promise<void> {
    return this.store.complete(trx, reservation, 204, completion);
  }

  settled(reservation: IdempotencyReservation): void {
    this.store.settled(reservation);
  }

  release(reservation: IdempotencyReservation): Promise<void> {
    return this.store.release(reservation);
  }

  /** The completion of upload `id` by this principal, if it finished (and is still remembered). */
  async of(principal: Principal, id: string): Promise<ResumableUploadCompletion | undefined> {
    const row = await this.db.selectFrom('idempotency_keys').select(['fingerprint', 'response_body', 'response_status', 'expires_at'])
      .where('organization_id', '=', principal.organizationId).where('subject', '=', principal.userId).where('idempotency_key', '=', keyOf(id))
      .executeTakeFirst();
    if (row === undefined || row.response_status === null || row.fingerprint !== fingerprintOf(id)) return undefined;
    if (new Date(row.expires_at).getTime() <= Date.now()) return undefined;
    return JSON.parse(row.response_body ?? 'null') as ResumableUploadCompletion;
  }
}

function scopeOf(principal: Principal) {
  return { organizationId: principal.organizationId, subject: principal.userId };
}

function keyOf(id: string): string {
  return `tus:${id}`;
}

function fingerprintOf(id: string): string {
  return IdempotencyStore.fingerprint('PATCH', `/api/v1/uploads/${id}`);
}
