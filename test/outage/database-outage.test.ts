import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentsOf, startOutageService, type OutageService } from '../support/outage-service.js';
import { startThrowawayPostgres, type ThrowawayService } from '../support/throwaway-services.js';
import { pdfOfSize } from '../support/upload-request.js';

/**
 * docstore on a PostgreSQL of this test alone, frozen (SIGSTOP of the postmaster and its children:
 * what a network partition or a stuck disk looks like) and stopped, then resumed and restarted.
 * Timeouts are short (1 s) so that each scenario takes seconds; the bounds asserted are generous.
 */
describe('when PostgreSQL hangs or goes away', { timeout: 180_000 }, () => {
  let postgres: ThrowawayService;
  let outage: OutageService;

  beforeAll(async () => {
    postgres = await startThrowawayPostgres();
    outage = await startOutageService({
      DATABASE_URL: postgres.env.PG_TEST_URL as string,
      DATABASE_CONNECT_TIMEOUT_SECONDS: '1',
      DATABASE_STATEMENT_TIMEOUT_SECONDS: '1',
      HEALTH_CHECK_TIMEOUT_SECONDS: '1',
    });
  }, 180_000);
  afterAll(async () => {
    // First of all: a test that timed out while postgres was frozen must not leave it frozen (closing would hang).
    postgres?.thaw();
    await outage?.close();
    await postgres?.destroy();
  }, 120_000);

  /** Rows of a building, read directly (not through the service under test). */
  async function rowsOf(buildingId: string): Promise<number> {
    const client = new pg.Client({ connectionString: postgres.env.PG_TEST_URL });
    await client.connect();
    try {
      const result = await client.query('select count(*)::int as n from documents where building_id = $1', [buildingId]);
      return (result.rows[0] as { n: number }).n;
    } finally {
      await client.end();
    }
  }

  it('frozen: readiness and uploads answer 503 database.unavailable at once, with Retry-After; after the resume a retried key stores one document', async () => {
    const building = await outage.registerBuilding();
    expect((await outage.upload(building)).status).toBe(201);
    postgres.freeze();
    try {
      const ready = await outage.ready();
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: 'database.unavailable' });
      expect(ready.ms).toBeLessThan(5_000);
      const key = randomUUID();
      const upload = await outage.upload(building, key);
      expect(upload.status, JSON.stringify(upload.body)).toBe(503);
      expect(upload.body).toMatchObject({ code: 'database.unavailable' });
      expect(upload.headers.get('retry-after')).toBe('5');
      expect(upload.ms).toBeLessThan(20_000);
      postgres.thaw();
      await outage.waitReady();
      // The retry runs (the first attempt recorded nothing), a second retry replays it.
      const retry = await outage.upload(building, key);
      expect(retry.status, JSON.stringify(retry.body)).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      const again = await outage.upload(building, key);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.id).toBe(retry.body.id);
      expect(await rowsOf(building)).toBe(2);
      expect((await outage.objectsOf(building)).length).toBe(2);
    } finally {
      postgres.thaw();
    }
  });

  it('frozen during an upload: 503, and nothing is stored, neither then nor once PostgreSQL resumes; the same key then stores it once', async () => {
    const building = await outage.registerBuilding();
    const key = randomUUID();
    const content = pdfOfSize(512 * 1024);
    const upload = outage.splitUpload(building, key, content, 64 * 1024);
    // Authorised and the key reserved (both in the database): the body is what remains.
    await expect
      .poll(async () => {
        const client = new pg.Client({ connectionString: postgres.env.PG_TEST_URL });
        await client.connect();
        try {
          return (await client.query('select 1 from idempotency_keys where idempotency_key = $1', [key])).rowCount;
        } finally {
          await client.end();
        }
      }, { timeout: 10_000 })
      .toBe(1);
    postgres.freeze();
    let answer: { status: number; body: string; ms: number };
    try {
      answer = await upload.finish();
      expect(answer.status, answer.body).toBe(503);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'database.unavailable' });
    } finally {
      postgres.thaw();
    }
    await outage.waitReady();
    // What the frozen server still held is rolled back, not committed late.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await rowsOf(building)).toBe(0);
    expect(await outage.objectsOf(building)).toEqual([]);
    // The key the failed attempt held is free again in this instance: the retry stores the file once.
    const retry = await outage.upload(building, key, content);
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    expect(await documentsOf(outage, building)).toHaveLength(1);
    expect(await outage.objectsOf(building)).toHaveLength(1);
  });

  it('stopped: readiness and uploads answer 503 database.unavailable (not 500) with Retry-After; after a restart everything works again', async () => {
    const building = await outage.registerBuilding();
    await postgres.stop();
    try {
      const ready = await outage.ready();
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: 'database.unavailable' });
      expect(ready.ms).toBeLessThan(5_000);
      const upload = await outage.upload(building, randomUUID());
      expect(upload.status, JSON.stringify(upload.body)).toBe(503);
      expect(upload.body).toMatchObject({ code: 'database.unavailable' });
      expect(upload.headers.get('retry-after')).toBe('5');
      expect(upload.ms).toBeLessThan(10_000);
      const listing = await fetch(`${outage.baseUrl}/api/v1/buildings/${building}/documents`, { headers: outage.auth });
      expect(listing.status).toBe(503);
    } finally {
      await postgres.restart();
    }
    await outage.waitReady();
    expect((await outage.upload(building, randomUUID())).status).toBe(201);
    expect(await documentsOf(outage, building)).toHaveLength(1);
    expect(await outage.objectsOf(building)).toHaveLength(1);
  });
});
