import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-entry.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import type { Database } from '../../src/db/database.js';
import { claimDeliveries, markDelivered, markFailed, nextDueAt, pruneDelivered, replayDeliveries } from '../../src/events/delivery-repository.js';
import { EventOutbox } from '../../src/events/event-outbox.js';
import { DIALECTS, openTwoInstances, type TwoInstances } from '../support/databases.js';

const ENDPOINTS: [string, string] = ['http://127.0.0.1:1/a', 'http://127.0.0.1:1/b'];
const actor = { kind: 'user' as const, subject: 'syndic-1', role: 'syndic' };
const at = (seconds: number) => new Date(Date.UTC(2026, 11, 5, 12, 0, seconds));

/** The queue itself, on each database, with the clock passed in: no sleeping, no HTTP. */
for (const [dialect, open] of DIALECTS) {
  describe(`the webhook delivery queue on ${dialect}`, () => {
    let test: TwoInstances;
    let second: Kysely<Database>;
    const log = new AuditLog();
    const outbox = new EventOutbox({ endpoints: ENDPOINTS, now: () => at(0) });
    log.subscribe(outbox.listener);

    beforeAll(async () => {
      test = await openTwoInstances(open);
      second = test.second;
    });
    afterAll(async () => test?.close());

    async function change(documentId: string, action: AuditEntry['action'] = 'document.update'): Promise<string> {
      return test.db.transaction().execute(async (trx) => {
        const entry = await log.record(trx, { action, actor, organizationId: 'org-q', buildingId: 'b-q', documentId });
        const row = await trx.selectFrom('events').select('id').where('audit_entry_id', '=', entry.id).executeTakeFirstOrThrow();
        return row.id;
      });
    }

    it('holds a document’s later event back while an earlier one is pending for that endpoint, and lets it pass once that one is dead', async () => {
      const first = await change('doc-order', 'document.upload');
      const later = await change('doc-order');
      const claimed = await claimDeliveries(test.db, 'one', at(1), 60_000, 10);
      const mine = claimed.filter((delivery) => [first, later].includes(delivery.eventId));
      expect(mine.map((delivery) => [delivery.eventId, delivery.endpoint])).toEqual(ENDPOINTS.map((endpoint) => [first, endpoint]));
      // Endpoint a: the first is delivered, the later one follows. Endpoint b: the first fails for good (dead), the later one follows too.
      for (const delivery of mine) {
        if (delivery.endpoint === ENDPOINTS[0]) expect(await markDelivered(test.db, delivery, 'one', at(2))).toBe(true);
        else await markFailed(test.db, delivery, 'one', 'HTTP 500', undefined, at(2));
      }
      const next = (await claimDeliveries(test.db, 'one', at(3), 60_000, 10)).filter((delivery) => delivery.eventId === later);
      expect(next.map((delivery) => delivery.endpoint).sort()).toEqual(ENDPOINTS);
      for (const delivery of next) await markDelivered(test.db, delivery, 'one', at(4));
      // Replayed, the dead one goes out again (after the later one: docs/events.md says so).
      expect(await replayDeliveries(test.db, { dead: true }, at(5))).toBe(1);
      expect((await claimDeliveries(test.db, 'one', at(6), 60_000, 10)).map((delivery) => [delivery.eventId, delivery.endpoint, delivery.attempt])).toEqual([[first, ENDPOINTS[1], 1]]);
    });

    it('waits for a retry’s time, and takes a delivery whose holder died once its lease has lapsed, counting the attempt', async () => {
      const id = await change('doc-lease', 'document.upload');
      const [held] = (await claimDeliveries(test.db, 'ghost', at(10), 30_000, 10)).filter((delivery) => delivery.eventId === id && delivery.endpoint === ENDPOINTS[0]);
      expect(held?.attempt).toBe(1);
      // The holder dies: nobody else takes it while its lease runs…
      expect((await claimDeliveries(test.db, 'alive', at(39), 30_000, 10)).filter((delivery) => delivery.eventId === id && delivery.endpoint === ENDPOINTS[0])).toEqual([]);
      // …and the next instance does once it lapsed; the dead holder's late answer changes nothing.
      const [taken] = (await claimDeliveries(test.db, 'alive', at(41), 30_000, 10)).filter((delivery) => delivery.eventId === id && delivery.endpoint === ENDPOINTS[0]);
      expect(taken?.attempt).toBe(2);
      expect(await markDelivered(test.db, held!, 'ghost', at(42))).toBe(false);
      await markFailed(test.db, taken!, 'alive', 'timeout after 10 s', at(100), at(42));
      expect(await nextDueAt(test.db, at(43))).toEqual(at(100));
      expect((await claimDeliveries(test.db, 'alive', at(99), 30_000, 10)).filter((delivery) => delivery.eventId === id && delivery.endpoint === ENDPOINTS[0])).toEqual([]);
      const [retried] = (await claimDeliveries(test.db, 'alive', at(100), 30_000, 10)).filter((delivery) => delivery.eventId === id && delivery.endpoint === ENDPOINTS[0]);
      expect(retried?.attempt).toBe(3);
      const row = await test.db.selectFrom('event_deliveries').select(['last_error', 'status']).where('event_id', '=', id).where('endpoint', '=', ENDPOINTS[0]).executeTakeFirstOrThrow();
      expect(row).toEqual({ last_error: 'timeout after 10 s', status: 'pending' });
    });

    it('prunes events delivered to every endpoint before the cut-off, never one with a pending or dead delivery', async () => {
      const [old, recent, partly, waiting] = await Promise.all(['old', 'recent', 'partly', 'waiting'].map((name) => change(`doc-prune-${name}`, 'document.upload')));
      const deliver = (eventId: string, when: Date, endpoint?: string) =>
        test.db
          .updateTable('event_deliveries')
          .set({ status: 'delivered', delivered_at: when.toISOString() })
          .where('event_id', '=', eventId)
          .$call((query) => (endpoint === undefined ? query : query.where('endpoint', '=', endpoint)))
          .execute();
      await deliver(old!, at(300));
      await deliver(recent!, at(500));
      await deliver(partly!, at(300), ENDPOINTS[0]);
      await test.db.updateTable('event_deliveries').set({ status: 'dead' }).where('event_id', '=', partly!).where('endpoint', '=', ENDPOINTS[1]).execute();
      expect(await pruneDelivered(test.db, at(400), 1000)).toBeGreaterThanOrEqual(1);
      const left = await test.db.selectFrom('events').select('id').where('id', 'in', [old!, recent!, partly!, waiting!]).execute();
      expect(left.map((row) => row.id).sort()).toEqual([recent!, partly!, waiting!].sort());
      expect(await test.db.selectFrom('event_deliveries').select('event_id').where('event_id', '=', old!).execute()).toEqual([]);
    });

    it('gives each delivery to one of two instances claiming at once', async () => {
      const ids = await Promise.all(Array.from({ length: 30 }, (_, index) => change(`doc-race-${index}`, 'document.upload')));
      const taken: string[] = [];
      const claimers = [
        { db: test.db, owner: 'instance-1' },
        { db: second, owner: 'instance-2' },
      ];
      await Promise.all(
        claimers.map(async ({ db, owner }) => {
          for (;;) {
            const claimed = (await claimDeliveries(db, owner, at(200), 60_000, 4)).filter((delivery) => ids.includes(delivery.eventId));
            if (claimed.length === 0) return;
            for (const delivery of claimed) {
              taken.push(`${delivery.eventId} ${delivery.endpoint}`);
              expect(await markDelivered(db, delivery, owner, at(201))).toBe(true);
            }
          }
        }),
      );
      expect(taken).toHaveLength(ids.length * ENDPOINTS.length);
      expect(new Set(taken).size).toBe(taken.length);
    });
  });
}
