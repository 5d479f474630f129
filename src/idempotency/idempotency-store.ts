import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { IdempotencyError } from './idempotency-errors.js';

/** Whose key it is: keys of different principals never meet. */
export interface IdempotencyScope {
  organizationId: string;
  subject: string;
}

/** The right to run the request of a key, until `complete` or `release`. */
export interface IdempotencyReservation {
  scope: IdempotencyScope;
  key: string;
  lockToken: string;
}

export type IdempotencyOutcome =
  | { kind: 'reserved'; reservation: IdempotencyReservation }
  | { kind: 'replay'; status: number; body: unknown };

export interface IdempotencyStoreOptions {
  /** How long a key and its outcome are remembered, in seconds. @default 86400 (24 h) */
  retentionSeconds?: number;
  /** How long a running request keeps its key before another instance may take it over, in seconds. @default 900 */
  leaseSeconds?: number;
  now?: () => Date;
}

/**
 * `Idempotency-Key` bookkeeping in the metadata database (draft-ietf-httpapi-idempotency-key-header):
 * the first request with a key reserves it; a success is recorded with the request's own commit
 * (`complete` inside its transaction), so a retry finds either that outcome or nothing; a failure
 * releases the key for the next attempt. Expired keys are deleted as new ones arrive.
 */
export class IdempotencyStore {
  /** Identifies this process's locks: one of them that is not in flight here was abandoned. */
  private readonly instanceId = randomUUID();
  private readonly inFlight = new Set<string>();
  private readonly retentionMs: number;
  private readonly leaseMs: number;
  private readonly now: () => Date;
  private nextCleanupAt = 0;

  constructor(
    private readonly db: Kysely<Database>,
    options: IdempotencyStoreOptions = {},
  ) {
    this.retentionMs = (options.retentionSeconds ?? 86_400) * 1000;
    this.leaseMs = (options.leaseSeconds ?? 900) * 1000;
    this.now = options.now ?? (() => new Date());
  }

  /** The SHA-256 a request is recognised by (method and target). */
  static fingerprint(method: string, target: string): string {
    return createHash('sha256').update(`${method.toUpperCase()} ${target}`).digest('hex');
  }

  /**
   * Reserves `key` for a request, or returns the outcome recorded for it. Throws
   * `idempotency.key_reused` when the key came with another request, `idempotency.in_progress`
   * while another request with it runs. `leaseSeconds`: how long the reservation holds the key
   * unless renewed (`renew`), instead of the store's lease.
   */
  async reserve(scope: IdempotencyScope, key: string, fingerprint: string, options: { leaseSeconds?: number } = {}): Promise<IdempotencyOutcome> {
    const now = this.now();
    await this.deleteExpiredWhenDue(now);
    const lockToken = `${this.instanceId}:${randomUUID()}`;
    const reservation: IdempotencyReservation = { scope, key, lockToken };
    const lockedUntil = new Date(now.getTime() + (options.leaseSeconds === undefined ? this.leaseMs : options.leaseSeconds * 1000)).toISOString();
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.db
        .insertInto('idempotency_keys')
        .values({
          organization_id: scope.organizationId,
          subject: scope.subject,
          idempotency_key: key,
          fingerprint,
          lock_token: lockToken,
          locked_until: lockedUntil,
          response_status: null,
          response_body: null,
          created_at: now.toISOString(),
          expires_at: new Date(now.getTime() + this.retentionMs).toISOString(),
        })
        .onConflict((conflict) => conflict.columns(['organization_id', 'subject', 'idempotency_key']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return this.held(reservation);
      const row = await this.db.selectFrom('idempotency_keys').selectAll().where((eb) => eb.and(keyOf(scope, key))).executeTakeFirst();
      if (row === undefined) continue;
      if (new Date(row.expires_at).getTime() <= now.getTime()) {
        await this.db.deleteFrom('idempotency_keys').where((eb) => eb.and(keyOf(scope, key))).where('expires_at', '<=', now.toISOString()).execute();
        continue;
      }
      if (row.fingerprint !== fingerprint) throw IdempotencyError.reused(key);
      if (row.response_status !== null) return { kind: 'replay', status: row.response_status, body: JSON.parse(row.response_body ?? 'null') };
      if (row.lock_token !== null && !this.abandoned(row.lock_token, row.locked_until, now)) throw IdempotencyError.inProgress(key);
      const taken = await this.db.updateTable('idempotency_keys').where((eb) => eb.and(keyOf(scope, key)))
        .set({ lock_token: lockToken, locked_until: lockedUntil })
        .where((eb) => (row.lock_token === null ? eb('lock_token', 'is', null) : eb('lock_token', '=', row.lock_token)))
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 1) return this.held(reservation);
      throw IdempotencyError.inProgress(key);
    }
    throw IdempotencyError.inProgress(key);
  }

  /**
   * Records the request's outcome, inside the transaction that commits its effect. Throws
   * `idempotency.in_progress` (rolling that transaction back) when the lock was taken over.
   */
  async complete(trx: Transaction<Database>, reservation: IdempotencyReservation, status: number, body: unknown): Promise<void> {
    const updated = await trx.updateTable('idempotency_keys').where((eb) => eb.and(keyOf(reservation.scope, reservation.key)))
      .set({ response_status: status, response_body: JSON.stringify(body), lock_token: null, locked_until: null })
      .where('lock_token', '=', reservation.lockToken)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw IdempotencyError.inProgress(reservation.key);
  }

  /**
   * Extends a reservation's lease to `leaseSeconds` from now, while its request still runs: a
   * process that dies stops renewing, and its key is free once the lease runs out. False when the
   * reservation no longer holds the key (taken over, completed or released).
   */
  async renew(reservation: IdempotencyReservation, leaseSeconds: number): Promise<boolean> {
    const lockedUntil = new Date(this.now().getTime() + leaseSeconds * 1000).toISOString();
    const updated = await this.db.updateTable('idempotency_keys').where((eb) => eb.and(keyOf(reservation.scope, reservation.key)))
      .set({ locked_until: lockedUntil })
      .where('lock_token', '=', reservation.lockToken)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  /** Frees the key after a failed attempt, so that a retry runs the request again. */
  async release(reservation: IdempotencyReservation): Promise<void> {
    try {
      await this.db.deleteFrom('idempotency_keys').where((eb) => eb.and(keyOf(reservation.scope, reservation.key)))
        .where('lock_token', '=', reservation.lockToken)
        .execute();
    } finally {
      // Even when the database could not be told, this process knows the lock is abandoned.
      this.inFlight.delete(reservation.lockToken);
    }
  }

  /** Forgets the reservation once its outcome is committed. */
  settled(reservation: IdempotencyReservation): void {
    this.inFlight.delete(reservation.lockToken);
  }

  /** Deletes keys older than the retention; returns how many. */
  async deleteExpired(now = this.now()): Promise<number> {
    const result = await this.db.deleteFrom('idempotency_keys').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async deleteExpiredWhenDue(now: Date): Promise<void> {
    if (now.getTime() < this.nextCleanupAt) return;
    this.nextCleanupAt = now.getTime() + 10 * 60_000;
    await this.deleteExpired(now);
  }

  private held(reservation: IdempotencyReservation): IdempotencyOutcome {
    this.inFlight.add(reservation.lockToken);
    return { kind: 'reserved', reservation };
  }

  /** A lock is abandoned when its lease ran out, or when it is this process's and no longer in flight here. */
  private abandoned(lockToken: string, lockedUntil: string | Date | null, now: Date): boolean {
    if (lockedUntil === null || new Date(lockedUntil).getTime() <= now.getTime()) return true;
    return lockToken.startsWith(`${this.instanceId}:`) && !this.inFlight.has(lockToken);
  }
}

function keyOf(scope: IdempotencyScope, key: string) {
  return { organization_id: scope.organizationId, subject: scope.subject, idempotency_key: key };
}
