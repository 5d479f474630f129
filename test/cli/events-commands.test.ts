import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startWebhooks } from '../../src/cli/serve-command.js';
import type { DeliveryListing } from '../../src/events/delivery-repository.js';
import { registerBuilding } from '../support/buildings.js';
import { operatorEnvironment, runDocstoreSources } from '../support/docstore-cli.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix } from '../support/streams.js';
import { documentUpload } from '../support/upload-request.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'events-cli-test-secret-0123456789abcdef0123';
const POLL = { timeout: 30_000, interval: 50 };
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const docstore = runDocstoreSources;

const lines = (stdout: string) => stdout.trim().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as DeliveryListing);

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`docstore events list|replay on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let receiver: WebhookReceiver;
    let env: Record<string, string>;
    let dispatcher: { stop(): Promise<void> } | undefined;

    beforeAll(async () => {
      receiver = await WebhookReceiver.start(SECRET);
      receiver.behaviour = () => 503;
      const s3 = pairName.startsWith('S3');
      const keyPrefix = `events-cli-${randomPrefix()}/`;
      fixture = await factory({
        env: {
          ...(s3 ? { S3_KEY_PREFIX: keyPrefix } : {}),
          DOCSTORE_WEBHOOK_URLS: receiver.url,
          DOCSTORE_WEBHOOK_SECRET: SECRET,
          DOCSTORE_WEBHOOK_MAX_ATTEMPTS: '2',
          DOCSTORE_WEBHOOK_BACKOFF_SECONDS: '0.02',
          DOCSTORE_WEBHOOK_TIMEOUT_SECONDS: '5', // far above an answer's time on a loaded machine: a late 503 would be recorded as a timeout
        },
      });
      // The operator's environment: the same data, no webhooks (a serving instance sends).
      env = operatorEnvironment(fixture.config, inject('s3'), keyPrefix);
      dispatcher = startWebhooks(fixture.service, fixture.service.metrics, quiet);
    });
    afterAll(async () => {
      await dispatcher?.stop();
      await fixture?.close();
      await receiver?.close();
    });

    it('lists dead deliveries, replays them (--dead) and one event by id, and refuses bad arguments', async () => {
      const building = await registerBuilding(fixture);
      const { payload, headers } = documentUpload({ type: 'meeting_minutes', title: 'PV AG 2026' });
      const uploaded = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(uploaded.statusCode, uploaded.body).toBe(201);
      const documentId = uploaded.json().id as string;

      // Both events (building.created, document.created) fail twice and are dead.
      const countOf = async (status: string) => (await fixture.service.db.selectFrom('event_deliveries').select('event_id').where('status', '=', status).execute()).length;
      await expect.poll(() => countOf('dead'), POLL).toBe(2);
      const listed = await docstore(['events', 'list', '--status', 'dead', '--json'], env);
      expect(listed.code, listed.stderr).toBe(0);
      const dead = lines(listed.stdout);
      expect(dead).toHaveLength(2);
      const created = dead.find((row) => row.documentId === documentId);
      expect(created).toMatchObject({ type: 'document.created', buildingId: building, endpoint: receiver.url, status: 'dead', attempts: 2, lastError: 'HTTP 503', nextAttemptAt: null, deliveredAt: null });
      const text = await docstore(['events', 'list'], env);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(`${created?.eventId} document.created`);
      expect(text.stdout).toContain('dead (2 attempts)');
      expect(text.stdout).toContain('HTTP 503');

      receiver.behaviour = () => 204;
      const replayed = await docstore(['events', 'replay', '--dead', '--json'], env);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(JSON.parse(replayed.stdout)).toEqual({ queued: 2 });
      await expect.poll(() => receiver.acceptedFor(documentId), POLL).toEqual([created?.eventId]);
      await expect.poll(() => countOf('delivered'), POLL).toBe(2);
      expect(lines((await docstore(['events', 'list', '--status', 'delivered', '--json'], env)).stdout).map((row) => row.status)).toEqual(['delivered', 'delivered']);

      // One event again, although delivered: same id, a second time.
      const again = await docstore(['events', 'replay', created?.eventId ?? ''], env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('queued 1 delivery again (DOCSTORE_WEBHOOK_URLS is not set here');
      await expect.poll(() => receiver.accepted.filter((request) => request.event.id === created?.eventId).length, POLL).toBe(2);

      const unknown = await docstore(['events', 'replay', randomUUID()], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('events.not_found');
      const neither = await docstore(['events', 'replay'], env);
      expect(neither.code).toBe(2);
      expect(neither.stderr).toContain('give either an event id or --dead');
      const badStatus = await docstore(['events', 'list', '--status', 'lost'], env);
      expect(badStatus.code).toBe(2);
      expect(badStatus.stderr).toContain('--status: "lost" is not one of pending, delivered, dead');
    }, 240_000);
  });
}
