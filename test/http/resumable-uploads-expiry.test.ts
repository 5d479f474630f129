import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clientFor } from '../support/s3-target.js';
import { registerBuilding } from '../support/buildings.js';
import { SERVICE_PAIRS, s3PostgresService, type ServiceFixture } from '../support/service-fixture.js';
import { openRawRequest } from '../support/raw-http.js';
import { sql } from 'kysely';
import { sha256 } from '../support/streams.js';
import { pdfOfSize } from '../support/upload-request.js';

const TUS = { 'tus-resumable': '1.0.0' };

function metadataHeader(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

async function createUpload(fixture: ServiceFixture, token: string, length: number, fields: Record<string, string>): Promise<string> {
  const response = await fetch(`${fixture.baseUrl}/api/v1/uploads`, { method: 'POST', headers: { ...TUS, authorization: `Bearer ${token}`, 'upload-length': String(length), 'upload-metadata': metadataHeader(fields) } });
  expect(response.status, await response.clone().text()).toBe(201);
  return new URL(response.headers.get('location')!, `${fixture.baseUrl}/api/v1/uploads`).pathname;
}

function patch(fixture: ServiceFixture, path: string, token: string, offset: number, bytes: Buffer): Promise<Response> {
  return fetch(`${fixture.baseUrl}${path}`, { method: 'PATCH', headers: { ...TUS, authorization: `Bearer ${token}`, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, body: bytes });
}

/**
 * What the store holds of upload `id`: files in the storage's directory under tus-uploads/ on local disk; on S3 the objects
 * under tus-uploads/{id} and the multipart uploads there, listed with the SDK directly.
 */
async function partsOf(fixture: ServiceFixture, id: string): Promise<string[]> {
  const storage = fixture.config.storage;
  if (storage.backend === 'local') return (await readdir(join(storage.path, 'tus-uploads'))).filter((name) => name.startsWith(id));
  const client = clientFor(inject('s3'));
  try {
    const prefix = `${storage.keyPrefix}tus-uploads/${id}`;
    const objects = await client.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: prefix }));
    const multipart = await client.send(new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: prefix }));
    return [...(objects.Contents ?? []).map((object) => object.Key!), ...(multipart.Uploads ?? []).map((upload) => `multipart ${upload.Key!}`)];
  } finally {
    client.destroy();
  }
}

async function metricValue(fixture: ServiceFixture, outcome: string): Promise<number> {
  const metric = await fixture.service.metrics.registry.getSingleMetric('docstore_resumable_uploads_total')?.get();
  return metric?.values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

/**
 * The expiry of the first test: the upload must be written to before it, so it is far above the
 * time a creation and a PATCH take on a loaded machine, and the test waits it out from the creation.
 */
const EXPIRY_SECONDS = 4;

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`resumable uploads expire on ${pairName}`, () => {
    let fixture: ServiceFixture;

    beforeAll(async () => {
      fixture = await factory({ listen: true, env: { RESUMABLE_UPLOAD_EXPIRY_SECONDS: String(EXPIRY_SECONDS) } });
    });
    afterAll(async () => fixture?.close());

    it('an unfinished upload past its expiry answers 410 upload.expired, and the sweep removes its parts and counts it', async () => {
      // The test sweeps itself: the service's sweep (every second here) would race its 410.
      await fixture.service.resumableUploads.stop();
      const token = await fixture.token('syndic', { sub: 'syndic-1' });
      const building = await registerBuilding(fixture);
      const content = pdfOfSize(40_000);
      const creation = Date.now();
      const path = await createUpload(fixture, token, content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf' });
      expect((await patch(fixture, path, token, 0, content.subarray(0, 10_000))).status).toBe(204);
      const id = path.split('/').pop()!;
      const held = await partsOf(fixture, id);
      expect(held).not.toEqual([]);
      if (fixture.config.storage.backend === 's3') expect(held.filter((name) => name.startsWith('multipart '))).toHaveLength(1);
      await sleep(creation + EXPIRY_SECONDS * 1000 + 500 - Date.now());
      const late = await patch(fixture, path, token, 10_000, content.subarray(10_000));
      expect(late.status).toBe(410);
      expect(await late.json()).toMatchObject({ code: 'upload.expired' });
      expect(await partsOf(fixture, id)).not.toEqual([]);
      expect(await fixture.service.resumableUploads.cleanUpExpired()).toBeGreaterThanOrEqual(1);
      expect(await partsOf(fixture, id)).toEqual([]);
      expect(await metricValue(fixture, 'expired')).toBeGreaterThanOrEqual(1);
      expect(await metricValue(fixture, 'created')).toBeGreaterThanOrEqual(1);
    });
  });
}

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`resumable uploads and reconcile on ${pairName}`, () => {
    let fixture: ServiceFixture;

    beforeAll(async () => {
      // Its own key prefix: reconcile --fix lists and cleans only this fixture's keys of the shared test bucket.
      fixture = await factory({ listen: true, env: { S3_KEY_PREFIX: `tus-reconcile-${randomBytes(6).toString('hex')}/` } });
    });
    afterAll(async () => fixture?.close());

    it('reconcile --fix takes no part of an unfinished upload for an orphan: it is resumed and finished afterwards, its parts gone and its bytes the document\'s object with their SHA-256', async () => {
      const token = await fixture.token('syndic', { sub: 'syndic-1' });
      const building = await registerBuilding(fixture);
      const content = pdfOfSize(30_000);
      const path = await createUpload(fixture, token, content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf' });
      expect((await patch(fixture, path, token, 0, content.subarray(0, 10_000))).status).toBe(204);
      const report = await fixture.service.documents.reconcile({ fix: true, graceMs: 0 });
      expect(report.orphanObjects.filter((key) => key.includes('tus-uploads'))).toEqual([]);
      expect(await partsOf(fixture, path.split('/').pop()!)).not.toEqual([]);
      const head = await fetch(`${fixture.baseUrl}${path}`, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${token}` } });
      const offset = Number(head.headers.get('upload-offset'));
      const last = await patch(fixture, path, token, offset, content.subarray(offset));
      expect(last.status, await last.clone().text()).toBe(204);
      // Finished: nothing of it stays in the store; its bytes are the document's object (adopted in
      // place), described with their real SHA-256, and no orphan for reconcile.
      expect(await partsOf(fixture, path.split('/').pop()!)).toEqual([]);
      const row = await fixture.service.db.selectFrom('documents').select(['storage_key', 'sha256', 'size']).where('id', '=', last.headers.get('docstore-document-id')!).executeTakeFirstOrThrow();
      expect({ sha256: row.sha256, size: Number(row.size) }).toEqual({ sha256: sha256(content), size: content.length });
      expect(await fixture.service.storage.stat(row.storage_key)).toMatchObject({ sha256: sha256(content), size: content.length, contentType: 'application/pdf' });
      expect((await fixture.service.documents.reconcile({ fix: false, graceMs: 0 })).orphanObjects).toEqual([]);
    });
  });
}

for (const [pairName, factory] of SERVICE_PAIRS) describe(`resumable uploads across two instances on ${pairName}`, () => {
  let first: ServiceFixture;
  let second: ServiceFixture;

  beforeAll(async () => {
    first = await factory({ listen: true });
    second = await factory({ listen: true, shareWith: first });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('an upload begun on one instance is resumed and finished on the other', async () => {
    const token = await first.token('syndic', { sub: 'syndic-1' });
    const building = await registerBuilding(first);
    const content = pdfOfSize(120_000);
    const path = await createUpload(first, token, content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf', sha256: sha256(content) });
    expect((await patch(first, path, token, 0, content.subarray(0, 50_000))).status).toBe(204);
    const head = await fetch(`${second.baseUrl}${path}`, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${token}` } });
    expect(head.headers.get('upload-offset')).toBe('50000');
    const last = await patch(second, path, token, 50_000, content.subarray(50_000));
    expect(last.status, await last.clone().text()).toBe(204);
    const id = last.headers.get('docstore-document-id')!;
    const read = await first.service.app.inject({ url: `/api/v1/documents/${id}/content`, headers: { authorization: `Bearer ${token}` } });
    expect(read.statusCode).toBe(200);
    expect(read.rawPayload.equals(content)).toBe(true);
  });
});

describe('resumable uploads are locked in PostgreSQL across instances (S3 (RGW) + PostgreSQL)', () => {
  let first: ServiceFixture;
  let second: ServiceFixture;

  beforeAll(async () => {
    first = await s3PostgresService({ listen: true });
    second = await s3PostgresService({ listen: true, shareWith: first });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  async function advisoryLocks(): Promise<number> {
    const { rows } = await sql<{ count: string }>`select count(*) as count from pg_locks l join pg_stat_activity a on a.pid = l.pid where l.locktype = 'advisory' and l.granted and a.application_name = 'docstore-upload-locks'`.execute(first.service.db);
    return Number(rows[0]?.count ?? 0);
  }

  it('a PATCH in progress on one instance holds the upload: the other waits for it, then writes at the offset it left', async () => {
    const token = await first.token('syndic', { sub: 'syndic-1' });
    const building = await registerBuilding(first);
    const content = pdfOfSize(60_000);
    const path = await createUpload(first, token, content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf', sha256: sha256(content) });
    const before = await advisoryLocks();
    const held = openRawRequest(first.baseUrl!, 'PATCH', path, { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(content.length) });
    await held.send(content.subarray(0, 1000));
    while ((await advisoryLocks()) === before) await sleep(50);
    // The other instance's PATCH waits for the lock, taken in PostgreSQL by the first.
    let answered = false;
    const waiting = fetch(`${second.baseUrl}${path}`, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${token}` } }).then((response) => {
      answered = true;
      return response;
    });
    await sleep(500);
    expect(answered).toBe(false);
    held.socket.destroy();
    const head = await waiting;
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get('upload-offset'));
    const last = await patch(second, path, token, offset, content.subarray(offset));
    expect(last.status, await last.clone().text()).toBe(204);
    while ((await advisoryLocks()) !== before) await sleep(50);
  });
});
