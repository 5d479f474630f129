import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/jwt-verifier.js';
import { registerBuildingAt } from '../support/buildings.js';
import { freePort } from '../support/free-port.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'serve-webhooks-test-secret-0123456789abcdef';
const JWT_SECRET = 'serve-webhooks-test-jwt-secret-0123456789';

/** `docstore serve` (the built command) starts the dispatcher: a change through its API reaches a receiver, counted in its metrics. */
describe('docstore serve with DOCSTORE_WEBHOOK_URLS', () => {
  let dir: string;
  let receiver: WebhookReceiver;
  let instance: ServeProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docstore-serve-webhooks-'));
    receiver = await WebhookReceiver.start(SECRET);
  });
  afterAll(async () => {
    await instance?.stop();
    await receiver?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends building.created, signed, says so in its log, counts it, and stops cleanly', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    instance = startServe({
      ...process.env,
      LOG_LEVEL: 'info',
      DATA_DIR: dir,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      DOCSTORE_JWT_SECRET: JWT_SECRET,
      DOCSTORE_WEBHOOK_URLS: receiver.url,
      DOCSTORE_WEBHOOK_SECRET: SECRET,
    });
    await instance.ready(90_000);
    await instance.printed('webhooks on: sending events', 10_000);
    const token = await mintToken(Buffer.from(JWT_SECRET), { sub: 'syndic-1', org: '0190a000-0000-7000-8000-000000000001', role: 'syndic', buildings: [], ttlSeconds: 600 });
    const building = await registerBuildingAt(`http://127.0.0.1:${port}`, token);
    await expect.poll(() => receiver.accepted.map((request) => [request.event.type, request.event.buildingId, request.verified]), { timeout: 30_000, interval: 100 }).toEqual([['building.created', building, true]]);
    await expect
      .poll(async () => (await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).match(/^docstore_webhook_deliveries_total\{result="delivered"\} (\d+)$/m)?.[1], { timeout: 30_000, interval: 100 })
      .toBe('1');
    await instance.stop();
    expect(await instance.exited).toBe(0);
  }, 180_000);
});
