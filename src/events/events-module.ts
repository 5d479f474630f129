import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import { EventOutbox } from './event-outbox.js';
import { WebhookDispatcher, type DeliveryOutcome } from './webhook-dispatcher.js';
import { WebhookSender } from './webhook-sender.js';
import type { WebhookSettings } from './webhook-settings.js';

/** Beyond an attempt's timeout, how long a claim holds before another instance may take the delivery. */
const LEASE_MARGIN_MS = 30_000;

/** Events for other systems, as the composition root wires them. */
export interface EventsModule {
  /** Where events go; undefined when no `DOCSTORE_WEBHOOK_URLS` is set (then no event is written). */
  settings: WebhookSettings | undefined;
  /** Starts this instance's dispatcher (`serve`); undefined without webhooks. Stopped by `stop` too. */
  startDispatcher(hooks?: { onDelivery?: (outcome: DeliveryOutcome) => void; onError?: (error: unknown) => void }): { stop(): Promise<void> } | undefined;
  /** Stops the dispatchers started here, waiting for the attempts in hand. */
  stop(): Promise<void>;
}

/**
 * Wires the outbox into the audit log (every recording transaction writes its event) and makes
 * dispatchers on demand. Without webhooks configured nothing is subscribed and nothing is sent.
 */
export function createEventsModule(db: Kysely<Database>, audit: AuditLog, settings: WebhookSettings | undefined, now?: () => Date): EventsModule {
  const running = new Set<{ stop(): Promise<void> }>();
  const dispatchers = new Set<WebhookDispatcher>();
  if (settings !== undefined) {
    const outbox = new EventOutbox({
      endpoints: settings.urls,
      onEvent: () => {
        for (const dispatcher of dispatchers) dispatcher.nudge();
      },
      ...(now === undefined ? {} : { now }),
    });
    audit.subscribe(outbox.listener);
  }
  return {
    settings,
    startDispatcher: (hooks = {}) => {
      if (settings === undefined) return undefined;
      const timeoutMs = Math.round(settings.timeoutSeconds * 1000);
      const dispatcher = new WebhookDispatcher({
        db,
        sender: new WebhookSender({ secret: settings.secret, timeoutMs }),
        owner: `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`,
        maxAttempts: settings.maxAttempts,
        backoffBaseMs: settings.backoffSeconds * 1000,
        backoffMaxMs: settings.backoffMaxSeconds * 1000,
        leaseMs: timeoutMs + LEASE_MARGIN_MS,
        ...(now === undefined ? {} : { now }),
        ...(hooks.onDelivery === undefined ? {} : { onDelivery: hooks.onDelivery }),
      });
      dispatchers.add(dispatcher);
      const loop = dispatcher.start(hooks.onError);
      const handle = {
        stop: async () => {
          dispatchers.delete(dispatcher);
          running.delete(handle);
          await loop.stop();
        },
      };
      running.add(handle);
      return handle;
    },
    stop: async () => {
      await Promise.all([...running].map((handle) => handle.stop()));
    },
  };
}
