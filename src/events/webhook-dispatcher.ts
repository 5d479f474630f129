import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import * as deliveries from './delivery-repository.js';
import { backoffMs } from './webhook-backoff.js';
import type { WebhookSender } from './webhook-sender.js';

/** What a dispatcher reports of each attempt (metrics and logs). */
export interface DeliveryOutcome {
  eventId: string;
  type: string;
  endpoint: string;
  attempt: number;
  /** `delivered`; `failed` (to be retried); `dead` (the last attempt failed); `lease_lost` (sent, but another instance took the lease meanwhile). */
  result: 'delivered' | 'failed' | 'dead' | 'lease_lost';
  error?: string;
  /** From the event's queueing to this attempt's end. */
  queueSeconds: number;
}

export interface WebhookDispatcherOptions {
  db: Kysely<Database>;
  sender: WebhookSender;
  /** This instance's name in leases (host, pid and a random part). */
  owner: string;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long a claim holds: longer than an attempt can take, so that no other instance sends meanwhile. */
  leaseMs: number;
  /** Deliveries claimed and sent at once (each of another document or endpoint). @default 8 */
  batchSize?: number;
  /** The longest pause when nothing is due (other instances' work is seen at the latest then). @default 1000 */
  idleMs?: number;
  now?: () => Date;
  random?: () => number;
  onDelivery?: (outcome: DeliveryOutcome) => void;
}

/**
 * Sends the outbox's deliveries: claims due ones under a lease (`claimDeliveries`), POSTs them
 * (`WebhookSender`), and records each answer: `delivered`, or a retry after an exponential backoff
 * with jitter, or `dead` after the last attempt. Everything it knows is in the database, so a
 * restart or another instance carries on where it stopped; a delivery whose process died mid-send
 * is sent again once its lease lapses (at least once). Events of one document go out in order:
 * a delivery waits while an earlier one of its document for the same endpoint is pending.
 */
export class WebhookDispatcher {
  private readonly now: () => Date;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private wake: (() => void) | undefined;
  private nudged = false;

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.now = options.now ?? (() => new Date());
    this.batchSize = options.batchSize ?? 8;
    this.idleMs = options.idleMs ?? 1000;
  }

  /** Claims due deliveries and sends them, in parallel; returns how many were attempted. */
  async runOnce(): Promise<number> {
    const { db, owner, leaseMs } = this.options;
    const claimed = await deliveries.claimDeliveries(db, owner, this.now(), leaseMs, this.batchSize);
    await Promise.all(claimed.map((delivery) => this.deliver(delivery)));
    return claimed.length;
  }

  /** Sends until nothing is due now (retries not yet due stay); returns how many attempts were made. */
  async drain(): Promise<number> {
    let count = 0;
    for (let sent = await this.runOnce(); sent > 0; sent = await this.runOnce()) count += sent;
    return count;
  }

  /** Makes a sleeping loop look again soon (an event was just written: it is committed within moments). */
  nudge(): void {
    this.nudged = true;
    const wake = this.wake;
    if (wake !== undefined) setTimeout(wake, 20).unref();
  }

  /**
   * Works the queue in the background until `stop`, which waits for the attempts in hand (each
   * bounded by the sender's timeout). When nothing is due it sleeps until the next retry, a nudge,
   * or `idleMs`.
   */
  start(onError: (error: unknown) => void = () => undefined): { stop(): Promise<void> } {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        this.nudged = false;
        const sent = await this.runOnce().catch((error: unknown) => {
          onError(error);
          return 0;
        });
        if (sent > 0 || stopped || this.nudged) continue;
        const next = await deliveries.nextDueAt(this.options.db, this.now()).catch(() => undefined);
        const pauseMs = next === undefined ? this.idleMs : Math.max(10, Math.min(this.idleMs, next.getTime() - this.now().getTime()));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pauseMs);
          timer.unref();
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        this.wake?.();
        await loop;
      },
    };
  }

  private async deliver(delivery: deliveries.ClaimedDelivery): Promise<void> {
    const { db, owner, sender } = this.options;
    const result = await sender.send({ endpoint: delivery.endpoint, eventId: delivery.eventId, type: delivery.type, payload: delivery.payload, attempt: delivery.attempt });
    const now = this.now();
    const base = { eventId: delivery.eventId, type: delivery.type, endpoint: delivery.endpoint, attempt: delivery.attempt };
    const queueSeconds = (now.getTime() - delivery.createdAt.getTime()) / 1000;
    if (result.ok) {
      const kept = await deliveries.markDelivered(db, delivery, owner, now);
      this.options.onDelivery?.({ ...base, result: kept ? 'delivered' : 'lease_lost', queueSeconds });
      return;
    }
    const last = delivery.attempt >= this.options.maxAttempts;
    const retryAt = last ? undefined : new Date(now.getTime() + backoffMs(delivery.attempt, this.options.backoffBaseMs, this.options.backoffMaxMs, this.options.random));
    await deliveries.markFailed(db, delivery, owner, result.error, retryAt, now);
    this.options.onDelivery?.({ ...base, result: last ? 'dead' : 'failed', error: result.error, queueSeconds });
  }
}
