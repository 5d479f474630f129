import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/storage/s3/s3-client.js';
import { documentsOf, startOutageService, type OutageService } from '../support/outage-service.js';
import { ORG_A } from '../support/service-fixture.js';
import { startThrowawayRgw, type ThrowawayService } from '../support/throwaway-services.js';

/**
 * docstore on a Ceph RGW of this test alone, frozen (SIGSTOP of radosgw: it still accepts
 * connections, in the kernel, and answers nothing) and stopped, then resumed and restarted. The
 * S3 timeouts are short (2 s idle) so that each scenario takes seconds.
 */
describe('when the S3 service hangs or goes away', { timeout: 240_000 }, () => {
  let rgw: ThrowawayService;
  let outage: OutageService;
  let client: S3Client;
  const bucket = 'docstore-outage';

  beforeAll(async () => {
    rgw = await startThrowawayRgw();
    const env = rgw.env as Record<string, string>;
    outage = await startOutageService({
      STORAGE_BACKEND: 's3',
      S3_ENDPOINT: env.S3_TEST_ENDPOINT as string,
      S3_REGION: env.S3_TEST_REGION as string,
      S3_ACCESS_KEY: env.S3_TEST_ACCESS_KEY as string,
      S3_SECRET_KEY: env.S3_TEST_SECRET_KEY as string,
      S3_USE_PATH_STYLE: 'true',
      S3_BUCKET: bucket,
      S3_CREATE_BUCKET: 'true',
      S3_CONNECT_TIMEOUT_SECONDS: '1',
      S3_IDLE_TIMEOUT_SECONDS: '2',
      HEALTH_CHECK_TIMEOUT_SECONDS: '1',
    });
    client = createS3Client({
      endpoint: env.S3_TEST_ENDPOINT as string,
      region: env.S3_TEST_REGION as string,
      accessKeyId: env.S3_TEST_ACCESS_KEY as string,
      secretAccessKey: env.S3_TEST_SECRET_KEY as string,
      forcePathStyle: true,
    });
  }, 300_000);
  afterAll(async () => {
    // First of all: a test that timed out while rgw was frozen must not leave it frozen (closing would hang).
    rgw?.thaw();
    client?.destroy();
    await outage?.close();
    await rgw?.destroy();
  }, 120_000);

  /** Object keys under the building, read from RGW with the SDK (not through docstore). */
  async function bucketKeysOf(buildingId: string): Promise<string[]> {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${ORG_A}/${buildingId}/` }));
    return (listed.Contents ?? []).map((object) => object.Key ?? '');
  }

  it('frozen: readiness and uploads answer 503 storage.unavailable in bounded time, with Retry-After; nothing stays stored; after the resume a retried key stores one document', async () => {
    const building = await outage.registerBuilding();
    expect((await outage.upload(building)).status).toBe(201);
    rgw.freeze();
    const key = randomUUID();
    try {
      const ready = await outage.ready();
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: 'storage.unavailable' });
      expect(ready.ms).toBeLessThan(5_000);
      const upload = await outage.upload(building, key);
      expect(upload.status, JSON.stringify(upload.body)).toBe(503);
      expect(upload.body).toMatchObject({ code: 'storage.unavailable' });
      expect(upload.headers.get('retry-after')).toBe('5');
      expect(upload.ms).toBeLessThan(60_000);
    } finally {
      rgw.thaw();
    }
    await outage.waitReady();
    expect(await documentsOf(outage, building)).toHaveLength(1);
    // A write the frozen server held may land once it resumes: docstore deletes it in the background.
    await expect.poll(() => bucketKeysOf(building), { timeout: 90_000, interval: 1_000 }).toHaveLength(1);
    const retry = await outage.upload(building, key);
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    const again = await outage.upload(building, key);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(retry.body.id);
    expect(await documentsOf(outage, building)).toHaveLength(2);
    expect(await bucketKeysOf(building)).toHaveLength(2);
  });

  it('stopped: readiness and uploads answer 503 storage.unavailable (not 500) with Retry-After; after a restart everything works again', async () => {
    const building = await outage.registerBuilding();
    const stored = await outage.upload(building);
    expect(stored.status).toBe(201);
    await rgw.stop();
    try {
      const content = await fetch(`${outage.baseUrl}/api/v1/documents/${String(stored.body.id)}/content`, { headers: outage.auth, signal: AbortSignal.timeout(60_000) });
      expect(content.status).toBe(503);
      expect(await content.json()).toMatchObject({ code: 'storage.unavailable' });
      expect(content.headers.get('retry-after')).toBe('5');
      const ready = await outage.ready();
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: 'storage.unavailable' });
      expect(ready.ms).toBeLessThan(5_000);
      const upload = await outage.upload(building, randomUUID());
      expect(upload.status, JSON.stringify(upload.body)).toBe(503);
      expect(upload.body).toMatchObject({ code: 'storage.unavailable' });
      expect(upload.headers.get('retry-after')).toBe('5');
      expect(upload.ms).toBeLessThan(30_000);
      expect(await documentsOf(outage, building)).toHaveLength(1);
    } finally {
      await rgw.restart();
    }
    await outage.waitReady();
    expect((await outage.upload(building, randomUUID())).status).toBe(201);
    expect(await documentsOf(outage, building)).toHaveLength(2);
    expect(await bucketKeysOf(building)).toHaveLength(2);
  });
});
