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

/** How long a completion holds its upload's key without renewing it. */
export const COMPLETION_LEASE_SECONDS = 60;

/**
 * At most one document per finished upload, across instances: the completion takes the upload's
 * key in the idempotency store (`tus:{id}`, scoped to its creator) and records the document it made
 * in the transaction of the document's row. A second completion (the final PATCH retried on another
 * instance) finds the key held (`idempotency.in_progress`) or the document already made. The key is
 * held on a short lease (`leaseSeconds`, 60 s), renewed every third of it while the completion runs:
 * an instance that dies mid-completion frees the upload within a minute (the store's own lease for
 * `Idempotency-Key` requests is 15 min), and the final PATCH retried then completes it.
 */
export class ResumableUploadCompletions {
  private readonly renewals = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: IdempotencyStore,
    private readonly leaseSeconds = COMPLETION_LEASE_SECONDS,
  ) {}

  async claim(principal: Principal, id: string): Promise<CompletionClaim> {
    const outcome = await this.store.reserve(scopeOf(principal), keyOf(id), fingerprintOf(id), { leaseSeconds: this.leaseSeconds });
    if (outcome.kind === 'replay') return { kind: 'completed', completion: outcome.body as ResumableUploadCompletion };
    const { reservation } = outcome;
    const renewal = setInterval(() => {
      // A failed renewal is retried at the next tick; a lost key makes the completion's record fail.
      this.store.renew(reservation, this.leaseSeconds).catch(() => undefined);
    }, (this.leaseSeconds * 1000) / 3);
    renewal.unref();
    this.renewals.set(reservation.lockToken, renewal);
    return { kind: 'claimed', reservation };
  }

  /** Records the completion inside the transaction that commits the document (or its version). */
  record(trx: Transaction<Database>, reservation: IdempotencyReservation, completion: ResumableUploadCompletion): Promise<void> {
    return this.store.complete(trx, reservation, 204, completion);
  }

  settled(reservation: IdempotencyReservation): void {
    this.stopRenewing(reservation);
    this.store.settled(reservation);
  }

  release(reservation: IdempotencyReservation): Promise<void> {
    this.stopRenewing(reservation);
    return this.store.release(reservation);
  }

  private stopRenewing(reservation: IdempotencyReservation): void {
    clearInterval(this.renewals.get(reservation.lockToken));
    this.renewals.delete(reservation.lockToken);
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
