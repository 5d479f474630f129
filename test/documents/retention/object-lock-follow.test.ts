import { GetObjectLegalHoldCommand, GetObjectRetentionCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProtectedDocument } from '../../../src/shared/document.js';
import { registerBuilding } from '../../support/buildings.js';
import { createTestBucket, lockingClientFor, removeTestBucket } from '../../support/object-lock-buckets.js';
import { ORG_A, s3PostgresService, type ServiceFixture } from '../../support/service-fixture.js';
import { documentUpload } from '../../support/upload-request.js';

/**
 * Under S3_OBJECT_LOCK the storage's lock follows the document's retention and hold, checked with
 * the SDK directly on RGW (governance, so that the test can remove its bucket afterwards).
 */
describe('Object Lock follows retention and legal hold (RGW + PostgreSQL)', () => {
  let client: S3Client;
  let bucket: string;
  let fixture: ServiceFixture;
  let auth: Record<string, string>;
  let building: string;

  beforeAll(async () => {
    client = lockingClientFor(inject('s3'));
    bucket = await createTestBucket(client);
    fixture = await s3PostgresService({ env: { S3_BUCKET: bucket, S3_OBJECT_LOCK: 'governance' } });
    auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
    building = await registerBuilding(fixture);
  });
  afterAll(async () => {
    await fixture?.close();
    if (bucket !== undefined) await removeTestBucket(client, bucket);
    client?.destroy();
  });

  async function upload(type: string, extra: Array<{ name: string; value: string }> = []): Promise<ProtectedDocument> {
    const { payload, headers } = documentUpload({ type, extra });
    const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as ProtectedDocument;
  }
  const lockOf = async (document: ProtectedDocument) => {
    const Key = `${ORG_A}/${building}/${document.id}`;
    const retention = await client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key })).catch(() => undefined);
    const hold = await client.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key }));
    return { until: retention?.Retention?.RetainUntilDate?.toISOString().slice(0, 10), held: hold.LegalHold?.Status === 'ON' };
  };

  it('locks a retained document until its retainUntil, a held one with a legal hold, and releases the hold', async () => {
    const invoice = await upload('invoice', [{ name: 'documentDate', value: '2025-03-10' }]);
    expect(await lockOf(invoice)).toEqual({ until: '2036-01-01', held: false });
    const other = await upload('other');
    expect((await lockOf(other)).held).toBe(false);
    expect((await fixture.service.app.inject({ method: 'PUT', url: `/api/v1/documents/${other.id}/legal-hold`, payload: { held: true, reason: 'Claim' }, headers: auth })).statusCode).toBe(200);
    expect((await lockOf(other)).held).toBe(true);
    // A syndic lengthens the invoice's retention: the lock follows.
    expect((await fixture.service.app.inject({ method: 'PUT', url: `/api/v1/documents/${invoice.id}/retention`, payload: { retainUntil: '2040-01-01', reason: 'Audit' }, headers: auth })).statusCode).toBe(200);
    expect((await lockOf(invoice)).until).toBe('2040-01-01');
    expect((await fixture.service.app.inject({ method: 'PUT', url: `/api/v1/documents/${other.id}/legal-hold`, payload: { held: false, reason: 'Settled' }, headers: auth })).statusCode).toBe(200);
    expect((await lockOf(other)).held).toBe(false);
  });
});
