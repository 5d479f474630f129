import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebhooks } from '../../src/cli/serve-command.js';
import type { Database } from '../../src/db/database.js';
import { replayDeliveries } from '../../src/events/delivery-repository.js';
import type { Document } from '../../src/shared/document.js';
import { registerBuilding } from '../support/buildings.js';
import { SERVICE_PAIRS, type FixtureFactory, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload, multipartBody, pdfOfSize } from '../support/upload-request.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'webhook-test-secret-0123456789abcdef0123456789';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** Bounds of every wait for an outcome (never an assertion on time). */
const POLL = { timeout: 30_000, interval: 50 };

/**
 * Fast retries: the tests wait for outcomes, not for the defaults' minutes. The timeout is far above
 * the time the receiver (in this process) takes to answer on a loaded machine: an answer that came
 * after it would count as a failure and be sent again, and the tests count deliveries exactly.
 */
function webhookEnv(receiver: WebhookReceiver, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DOCSTORE_WEBHOOK_URLS: receiver.url,
    DOCSTORE_WEBHOOK_SECRET: SECRET,
    DOCSTORE_WEBHOOK_BACKOFF_SECONDS: '0.02',
    DOCSTORE_WEBHOOK_BACKOFF_MAX_SECONDS: '0.1',
    DOCSTORE_WEBHOOK_TIMEOUT_SECONDS: '5',
    ...extra,
  };
}

/** The events written for a document, in the order of their changes. */
async function eventIdsOf(db: Kysely<Database>, documentId: string): Promise<string[]> {
  return (await db.selectFrom('events').select('id').where('document_id', '=', documentId).orderBy('seq').execute()).map((row) => row.id);
}

async function statuses(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = await db.selectFrom('event_deliveries').select('status').execute();
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

async function pendingCount(db: Kysely<Database>): Promise<number> {
  return (await db.selectFrom('event_deliveries').select('event_id').where('status', '=', 'pending').execute()).length;
}

/** Changes of a document through the API: upload, edit, delete, restore, edit. Returns the document. */
async function changeDocument(fixture: ServiceFixture, buildingId: string, title: string): Promise<Document> {
  const headers = { authorization: `Bearer ${await fixture.token('syndic')}` };
  const { payload, headers: form } = documentUpload({ type: 'other', title });
  const created = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...form, ...headers } });
  expect(created.statusCode, created.body).toBe(201);
  const document = created.json() as Document;
  const steps = [
    { method: 'PATCH' as const, url: `/api/v1/documents/${document.id}`, payload: { title: `${title} (1)` } },
    { method: 'DELETE' as const, url: `/api/v1/documents/${document.id}` },
    { method: 'POST' as const, url: `/api/v1/documents/${document.id}/restore` },
    { method: 'PATCH' as const, url: `/api/v1/documents/${document.id}`, payload: { title: `${title} (2)` } },
  ];
  for (const step of steps) {
    const response = await fixture.service.app.inject({ ...step, headers });
    expect(response.statusCode, `${step.method} ${step.url}: ${response.body}`).toBeLessThan(300);
  }
  return document;
}

const CHANGE_TYPES = ['document.created', 'document.updated', 'document.deleted', 'document.restored', 'document.updated'];

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`webhooks on ${pairName}`, () => {
    let receiver: WebhookReceiver;
    const opened: Array<{ close(): Promise<void> }> = [];

    beforeAll(async () => {
      receiver = await WebhookReceiver.start(SECRET);
    });
    afterEach(async () => {
      receiver.behaviour = () => 204;
      for (const item of opened.splice(0).reverse()) await item.close();
    });
    afterAll(async () => receiver?.close());

    async function open(make: FixtureFactory, options: Parameters<FixtureFactory>[0] = {}): Promise<ServiceFixture> {
      const fixture = await make({ ...options, env: { ...webhookEnv(receiver), ...options.env } });
      opened.push(fixture);
      return fixture;
    }

    function dispatch(fixture: ServiceFixture) {
      const running = startWebhooks(fixture.service, fixture.service.metrics, quiet);
      if (running === undefined) throw new Error('webhooks are not configured');
      return running;
    }

    it('signs each delivery (Stripe’s scheme) and sends the events of API changes with their id, type and timestamp', async () => {
      const fixture = await open(factory);
      dispatch(fixture);
      const start = receiver.received.length;
      const buildingId = await registerBuilding(fixture);
      const document = await changeDocument(fixture, buildingId, 'Procès-verbal AG 2026');
      const ids = await eventIdsOf(fixture.service.db, document.id);
      expect(ids).toHaveLength(5);
      await expect.poll(() => receiver.acceptedFor(document.id), POLL).toEqual(ids);

      const mine = receiver.received.slice(start);
      expect(mine.every((request) => request.verified)).toBe(true);
      const building = mine.find((request) => request.event.type === 'building.created' && request.event.buildingId === buildingId);
      expect(building?.event).toMatchObject({ organizationId: expect.any(String), buildingId, documentId: null });
      const created = mine.find((request) => request.event.id === ids[0]);
      expect(created?.event).toMatchObject({
        type: 'document.created',
        buildingId,
        documentId: document.id,
        version: 1,
        actor: { kind: 'user', subject: 'user-syndic', role: 'syndic' },
        document: { title: 'Procès-verbal AG 2026', type: 'other', mimeType: 'application/pdf', sha256: document.sha256 },
      });
      expect(receiver.accepted.filter((request) => request.event.documentId === document.id).map((request) => request.event.type)).toEqual(CHANGE_TYPES);
      const updated = mine.find((request) => request.event.id === ids[1]);
      expect(updated?.event.details).toEqual({ changes: { title: { from: 'Procès-verbal AG 2026', to: 'Procès-verbal AG 2026 (1)' } } });

      // The headers, and the signature as a receiver recomputes it by hand.
      const headers = created?.headers ?? {};
      expect(headers['content-type']).toBe('application/json');
      expect(headers['docstore-event-id']).toBe(ids[0]);
      expect(headers['idempotency-key']).toBe(ids[0]);
      expect(headers['docstore-event-type']).toBe('document.created');
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers['docstore-signature'])) ?? [];
      expect(t).toBe(headers['docstore-timestamp']);
      expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${created?.body}`).digest('hex'));

      // Counted, and the queue empty.
      await expect.poll(() => pendingCount(fixture.service.db), POLL).toBe(0);
      const exposition = await fixture.service.metrics.exposition();
      expect(exposition).toMatch(/^docstore_webhook_deliveries_total\{result="delivered"\} [1-9]/m);
      expect(exposition).toMatch(/^docstore_webhook_queue\{status="pending"\} 0$/m);
      expect(exposition).toMatch(/^docstore_webhook_queue_oldest_age_seconds 0$/m);
    });

    it('sends version_added, legal_hold.changed (document and building), deleted and purged, the purged one without the document', async () => {
      const fixture = await open(factory, { env: { DOCSTORE_TRASH_DAYS: '0' } });
      dispatch(fixture);
      const headers = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const buildingId = await registerBuilding(fixture);
      const { payload, headers: form } = documentUpload({ type: 'other', title: 'Rapport expert' });
      const created = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...form, ...headers } });
      expect(created.statusCode, created.body).toBe(201);
      const documentId = (created.json() as Document).id;
      const second = multipartBody([{ name: 'file', fileName: 'rapport-v2.pdf', content: pdfOfSize(3000) }]);
      const steps = [
        { method: 'POST' as const, url: `/api/v1/documents/${documentId}/versions`, payload: second.payload, headers: { ...second.headers, ...headers } },
        { method: 'PUT' as const, url: `/api/v1/documents/${documentId}/legal-hold`, payload: { held: true, reason: 'Expertise judiciaire' }, headers },
        { method: 'PUT' as const, url: `/api/v1/documents/${documentId}/legal-hold`, payload: { held: false, reason: 'Expertise close' }, headers },
        { method: 'PUT' as const, url: `/api/v1/buildings/${buildingId}/legal-hold`, payload: { held: true, reason: 'Litige' }, headers },
        { method: 'PUT' as const, url: `/api/v1/buildings/${buildingId}/legal-hold`, payload: { held: false, reason: 'Litige clos' }, headers },
        { method: 'DELETE' as const, url: `/api/v1/documents/${documentId}`, headers },
      ];
      for (const step of steps) {
        const response = await fixture.service.app.inject(step);
        expect(response.statusCode, `${step.method} ${step.url}: ${response.body}`).toBeLessThan(300);
      }
      expect(await fixture.service.documents.purge()).toBeGreaterThanOrEqual(1);
      const ids = await eventIdsOf(fixture.service.db, documentId);
      await expect.poll(() => receiver.acceptedFor(documentId), POLL).toEqual(ids);
      const events = ids.map((id) => receiver.accepted.find((request) => request.event.id === id)?.event);
      expect(events.map((event) => [event?.type, event?.hold])).toEqual([
        ['document.created', undefined],
        ['document.version_added', undefined],
        ['legal_hold.changed', 'placed'],
        ['legal_hold.changed', 'released'],
        ['document.deleted', undefined],
        ['document.purged', undefined],
      ]);
      expect(events[1]).toMatchObject({ version: 2, document: { fileName: 'rapport-v2.pdf', size: 3000 } });
      expect(events[4]?.document?.deletedAt).toEqual(expect.any(String));
      expect(events[5]).toMatchObject({ documentId, buildingId, actor: { kind: 'system', subject: 'purge' } });
      expect(events[5]).not.toHaveProperty('document');
      // The building's holds, ordered per building.
      await expect
        .poll(() => receiver.accepted.filter((request) => request.event.buildingId === buildingId && request.event.documentId === null).map((request) => [request.event.type, request.event.hold]), POLL)
        .toEqual([
          ['building.created', undefined],
          ['legal_hold.changed', 'placed'],
          ['legal_hold.changed', 'released'],
        ]);
    });

    it('a receiver that fails (500), times out, then recovers gets every event, in order per document', async () => {
      // A shorter timeout for the requests that hang, still well above an answer's time.
      const fixture = await open(factory, { env: { DOCSTORE_WEBHOOK_TIMEOUT_SECONDS: '2' } });
      const start = receiver.received.length;
      // 500 for the first 6 requests, then 3 that hang past the 2 s timeout, then 2xx.
      receiver.behaviour = (index) => (index < start + 6 ? 500 : index < start + 9 ? 'hang' : 200);
      const buildingId = await registerBuilding(fixture);
      const documents = await Promise.all(['A', 'B', 'C'].map((title) => changeDocument(fixture, buildingId, `Contrat ${title}`)));
      dispatch(fixture);
      await expect.poll(() => pendingCount(fixture.service.db), POLL).toBe(0);
      expect(await statuses(fixture.service.db)).not.toHaveProperty('dead');
      for (const document of documents) expect(receiver.acceptedFor(document.id)).toEqual(await eventIdsOf(fixture.service.db, document.id));
      const answers = receiver.received.slice(start).map((request) => request.answer);
      expect(answers.filter((answer) => answer === 500)).toHaveLength(6);
      expect(answers.filter((answer) => answer === 'hang')).toHaveLength(3);
      const failed = await fixture.service.metrics.exposition();
      expect(failed).toMatch(/^docstore_webhook_deliveries_total\{result="failed"\} 9$/m);
    });

    it('ends a delivery dead after DOCSTORE_WEBHOOK_MAX_ATTEMPTS, lets the document’s later events pass, and sends it again on replay', async () => {
      const fixture = await open(factory, { env: { DOCSTORE_WEBHOOK_MAX_ATTEMPTS: '3' } });
      const buildingId = await registerBuilding(fixture);
      dispatch(fixture);
      await expect.poll(() => pendingCount(fixture.service.db), POLL).toBe(0);
      // Every document.created fails; the rest passes.
      receiver.behaviour = (_index, event) => (event.type === 'document.created' ? 503 : 204);
      const document = await changeDocument(fixture, buildingId, 'Devis toiture');
      const ids = await eventIdsOf(fixture.service.db, document.id);
      await expect.poll(() => pendingCount(fixture.service.db), POLL).toBe(0);
      const dead = await fixture.service.db.selectFrom('event_deliveries').selectAll().where('status', '=', 'dead').execute();
      expect(dead.map((row) => row.event_id)).toEqual([ids[0]]);
      expect(dead[0]).toMatchObject({ attempts: 3, last_error: 'HTTP 503' });
      expect(receiver.received.filter((request) => request.event.id === ids[0])).toHaveLength(3);
      expect(receiver.acceptedFor(document.id)).toEqual(ids.slice(1));

      receiver.behaviour = () => 204;
      expect(await replayDeliveries(fixture.service.db, { dead: true }, new Date())).toBe(1);
      await expect.poll(() => receiver.acceptedFor(document.id), POLL).toEqual([...ids.slice(1), ids[0]]);
      await expect.poll(() => statuses(fixture.service.db), POLL).not.toHaveProperty('dead');
    });

    it('a restart mid-queue loses nothing: the next instance on the same data delivers the rest', async () => {
      const keeper = await open(factory);
      const first = await open(factory, { shareWith: keeper });
      const start = receiver.received.length;
      // The first 3 requests pass, the rest fail until the restart.
      receiver.behaviour = (index) => (index < start + 3 ? 204 : 500);
      const buildingId = await registerBuilding(first);
      const documents = await Promise.all(['1', '2'].map((title) => changeDocument(first, buildingId, `Facture ${title}`)));
      dispatch(first);
      await expect.poll(() => receiver.received.length - start, POLL).toBeGreaterThan(5);
      await first.close();
      opened.splice(opened.indexOf(first), 1);
      expect(await pendingCount(keeper.service.db)).toBeGreaterThan(0);

      receiver.behaviour = () => 204;
      const second = await open(factory, { shareWith: keeper });
      dispatch(second);
      await expect.poll(() => pendingCount(second.service.db), POLL).toBe(0);
      for (const document of documents) expect(receiver.acceptedFor(document.id)).toEqual(await eventIdsOf(second.service.db, document.id));
    });

    it('a rolled-back change writes no event; refused and read entries make none', async () => {
      const fixture = await open(factory);
      const { log } = fixture.service.audit;
      const actor = { kind: 'user' as const, subject: 'u', role: 'syndic' };
      await expect(
        fixture.service.db.transaction().execute(async (trx) => {
          await log.record(trx, { action: 'document.upload', actor, organizationId: 'org-x', buildingId: 'b-x', documentId: 'rolled-back-doc' });
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      await log.record(fixture.service.db, { action: 'document.delete', outcome: 'refused', actor, organizationId: 'org-x', documentId: 'refused-doc' });
      await log.record(fixture.service.db, { action: 'document.download', actor, organizationId: 'org-x', documentId: 'read-doc' });
      const committed = await fixture.service.db.transaction().execute((trx) => log.record(trx, { action: 'legal_hold.place', actor, organizationId: 'org-x', buildingId: 'b-x', documentId: 'held-doc' }));
      const rows = await fixture.service.db.selectFrom('events').select(['document_id', 'type', 'payload', 'audit_entry_id']).where('organization_id', '=', 'org-x').execute();
      expect(rows.map((row) => [row.document_id, row.type])).toEqual([['held-doc', 'legal_hold.changed']]);
      expect(Number(rows[0]?.audit_entry_id)).toBe(committed.id);
      expect(JSON.parse(rows[0]?.payload ?? '{}')).toMatchObject({ hold: 'placed', documentId: 'held-doc' });
    });

    if (pairName.includes('PostgreSQL')) {
      it('two instances on one PostgreSQL share the queue without sending an event twice', async () => {
        const a = await open(factory);
        const b = await open(factory, { shareWith: a });
        const start = receiver.received.length;
        const buildingId = await registerBuilding(a);
        const documents = await Promise.all(['1', '2', '3', '4'].map((title) => changeDocument(title === '3' ? b : a, buildingId, `Assurance ${title}`)));
        dispatch(a);
        dispatch(b);
        await expect.poll(() => pendingCount(a.service.db), POLL).toBe(0);
        const ids = receiver.received.slice(start).map((request) => request.event.id);
        expect(ids.length).toBe(new Set(ids).size);
        expect(ids.length).toBe(1 + documents.length * 5);
        for (const document of documents) expect(receiver.acceptedFor(document.id)).toEqual(await eventIdsOf(a.service.db, document.id));
        const counted = (await a.service.metrics.exposition()).match(/^docstore_webhook_deliveries_total\{result="delivered"\} (\d+)$/m)?.[1];
        const countedB = (await b.service.metrics.exposition()).match(/^docstore_webhook_deliveries_total\{result="delivered"\} (\d+)$/m)?.[1];
        expect(Number(counted) + Number(countedB)).toBe(ids.length);
      });
    }
  });
}
