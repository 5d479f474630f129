import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectRetentionCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DocumentService, type UploadPart } from '../../src/documents/document-service.js';
import type { ProtectedDocument } from '../../src/shared/document.js';
import { registerBuilding } from '../support/buildings.js';
import { createTestBucket, lockingClientFor, removeTestBucket, versionsOf } from '../support/object-lock-buckets.js';
import { ORG_A, ORG_B, s3PostgresService, type ServiceFixture } from '../support/service-fixture.js';
import { PDF, documentUpload, multipartBody, pdfOfSize } from '../support/upload-request.js';

/** The service's clock: each test sets the day it needs; RGW enforces the locks by its own (real) clock. */
let clock = new Date('2026-12-05T11:00:00Z');
const at = (instant: string) => {
  clock = new Date(instant);
};

/**
 * Under S3_OBJECT_LOCK (governance, so that the bucket can be removed afterwards) the storage's own
 * lock follows each document's retention and legal hold, through the HTTP API, checked with the AWS
 * SDK directly under docstore's own credentials on a Ceph RGW bucket created with Object Lock.
 */
describe('documents under S3 Object Lock (RGW + PostgreSQL)', () => {
  let client: S3Client;
  let bucket: string;
  let fixture: ServiceFixture;
  let syndic: Record<string, string>;
  let superadmin: Record<string, string>;
  let building: string;

  beforeAll(async () => {
    client = lockingClientFor(inject('s3'));
    bucket = await createTestBucket(client);
    fixture = await s3PostgresService({ now: () => clock, env: { S3_BUCKET: bucket, S3_OBJECT_LOCK: 'governance', DOCSTORE_TRASH_DAYS: '30' } });
    syndic = { authorization: `Bearer ${await fixture.token('syndic', { sub: 'syndic-1', ttlSeconds: 3600 })}` };
    superadmin = { authorization: `Bearer ${await fixture.token('superadmin', { sub: 'root-1', ttlSeconds: 3600 })}` };
    building = await registerBuilding(fixture);
  });
  afterAll(async () => {
    await fixture?.close();
    if (bucket !== undefined) await removeTestBucket(client, bucket);
    client?.destroy();
  });

  async function call(method: 'GET' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>, headers = syndic) {
    return fixture.service.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload === undefined ? {} : { payload }) });
  }

  async function upload(type: string, options: { buildingId?: string; documentDate?: string; fieldsAfterFile?: boolean } = {}): Promise<ProtectedDocument> {
    const fields = [
      { name: 'type', value: type },
      { name: 'title', value: `${type} ${randomUUID().slice(0, 8)}` },
      ...(options.documentDate === undefined ? [] : [{ name: 'documentDate', value: options.documentDate }]),
    ];
    const file = { name: 'file', fileName: 'document.pdf', content: PDF };
    const { payload, headers } = options.fieldsAfterFile === true ? multipartBody([file, ...fields]) : multipartBody([...fields, file]);
    const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${options.buildingId ?? building}/documents`, payload, headers: { ...headers, ...syndic } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as ProtectedDocument;
  }

  async function addVersion(documentId: string, content: Buffer): Promise<void> {
    const body = multipartBody([{ name: 'file', fileName: 'v.pdf', content }]);
    const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${documentId}/versions`, payload: body.payload, headers: { ...body.headers, ...syndic } });
    expect(response.statusCode, response.body).toBe(201);
  }

  /** The storage keys of a document's versions, oldest first. */
  async function keysOf(documentId: string): Promise<string[]> {
    const rows = await fixture.service.db.selectFrom('document_versions').select('storage_key').where('document_id', '=', documentId).orderBy('version').execute();
    return rows.map((row) => row.storage_key);
  }

  /** The lock of a key's current version, as the S3 service reports it. */
  async function lockOf(key: string): Promise<{ mode?: string; until?: string; held: boolean }> {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return {
      ...(head.ObjectLockMode === undefined ? {} : { mode: head.ObjectLockMode }),
      ...(head.ObjectLockRetainUntilDate === undefined ? {} : { until: head.ObjectLockRetainUntilDate.toISOString() }),
      held: head.ObjectLockLegalHoldStatus === 'ON',
    };
  }

  async function locksOf(documentId: string) {
    return Promise.all((await keysOf(documentId)).map(lockOf));
  }

  it('writes an upload locked until its retention end (first deletable day, 00:00 UTC), fields before or after the file', async () => {
    at('2026-12-05T11:00:00Z');
    const invoice = await upload('invoice', { documentDate: '2025-03-10' });
    expect(invoice.retention.retainUntil).toBe('2036-01-01');
    const [key] = await keysOf(invoice.id);
    expect(await lockOf(key as string)).toEqual({ mode: 'GOVERNANCE', until: '2036-01-01T00:00:00.000Z', held: false });
    const retention = await client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key }));
    expect(retention.Retention).toMatchObject({ Mode: 'GOVERNANCE', RetainUntilDate: new Date('2036-01-01T00:00:00Z') });
    // Fields after the file: the lock is applied once the row is committed.
    const late = await upload('invoice', { documentDate: '2025-03-10', fieldsAfterFile: true });
    expect(await locksOf(late.id)).toEqual([{ mode: 'GOVERNANCE', until: '2036-01-01T00:00:00.000Z', held: false }]);
    // No retention: no lock.
    const other = await upload('other');
    expect(await locksOf(other.id)).toEqual([{ held: false }]);
  });

  it('locks meeting minutes 100 years from their upload, capped at 2106-02-07 (RGW 16 wraps later dates to the past)', async () => {
    at('2026-12-05T11:00:00Z');
    const minutes = await upload('meeting_minutes');
    expect(minutes.retention.permanent).toBe(true);
    expect(await locksOf(minutes.id)).toEqual([{ mode: 'GOVERNANCE', until: '2106-02-07T06:28:15.000Z', held: false }]);
    // Uploaded in 2000, its 100 years end in 2100: not capped.
    at('2000-06-01T10:00:00Z');
    const old = await upload('regulation');
    at('2026-12-05T11:00:00Z');
    expect(await locksOf(old.id)).toEqual([{ mode: 'GOVERNANCE', until: '2100-06-01T10:00:00.000Z', held: false }]);
  });

  it('locks a new version as its document, a multipart one included', async () => {
    at('2026-12-05T11:00:00Z');
    const invoice = await upload('invoice', { documentDate: '2025-03-10' });
    await addVersion(invoice.id, pdfOfSize(6 * 1024 * 1024));
    expect(await locksOf(invoice.id)).toEqual([
      { mode: 'GOVERNANCE', until: '2036-01-01T00:00:00.000Z', held: false },
      { mode: 'GOVERNANCE', until: '2036-01-01T00:00:00.000Z', held: false },
    ]);
  });

  it('places and releases the legal hold of every version of a held document', async () => {
    at('2026-12-05T11:00:00Z');
    const statement = await upload('financial_statement', { documentDate: '2025-03-10' });
    await addVersion(statement.id, Buffer.concat([PDF, Buffer.from('% v2\n')]));
    const held = await call('PUT', `/documents/${statement.id}/legal-hold`, { held: true, reason: 'Dispute with the contractor' });
    expect(held.statusCode, held.body).toBe(200);
    expect((await locksOf(statement.id)).map((lock) => lock.held)).toEqual([true, true]);
    const released = await call('PUT', `/documents/${statement.id}/legal-hold`, { held: false, reason: 'Settled' });
    expect(released.statusCode, released.body).toBe(200);
    expect((await locksOf(statement.id)).map((lock) => lock.held)).toEqual([false, false]);
  });

  it('holds every document of a held building, and the uploads made while it is held', async () => {
    at('2026-12-05T11:00:00Z');
    const heldBuilding = await registerBuilding(fixture);
    const documents = [await upload('invoice', { buildingId: heldBuilding, documentDate: '2025-03-10' }), await upload('other', { buildingId: heldBuilding })];
    await addVersion(documents[0]!.id, Buffer.concat([PDF, Buffer.from('% v2\n')]));
    const bystander = await upload('other');
    expect((await call('PUT', `/buildings/${heldBuilding}/legal-hold`, { held: true, reason: 'Insurance claim' })).statusCode).toBe(200);
    documents.push(await upload('owner_document', { buildingId: heldBuilding }));
    for (const document of documents) expect((await locksOf(document.id)).every((lock) => lock.held), document.type).toBe(true);
    expect(await locksOf(bystander.id)).toEqual([{ held: false }]);
    expect((await call('PUT', `/buildings/${heldBuilding}/legal-hold`, { held: false, reason: 'Claim closed' })).statusCode).toBe(200);
    for (const document of documents) expect((await locksOf(document.id)).some((lock) => lock.held), document.type).toBe(false);
    // The invoice's retention lock stays after the release.
    expect((await locksOf(documents[0]!.id)).map((lock) => lock.until)).toEqual(['2036-01-01T00:00:00.000Z', '2036-01-01T00:00:00.000Z']);
  });

  it('extends the lock of every version when the retention is lengthened; a shortened retention leaves the lock as it was', async () => {
    at('2026-12-05T11:00:00Z');
    const invoice = await upload('invoice', { documentDate: '2025-03-10' });
    await addVersion(invoice.id, Buffer.concat([PDF, Buffer.from('% v2\n')]));
    const lengthened = await call('PUT', `/documents/${invoice.id}/retention`, { retainUntil: '2040-01-01', reason: 'Tax audit announced' });
    expect(lengthened.statusCode, lengthened.body).toBe(200);
    expect((await locksOf(invoice.id)).map((lock) => lock.until)).toEqual(['2040-01-01T00:00:00.000Z', '2040-01-01T00:00:00.000Z']);
    // An edit of the date that lengthens it.
    const quote = await upload('works_quote', { documentDate: '2025-03-10' });
    const patched = await call('PATCH', `/documents/${quote.id}`, { documentDate: '2026-02-01' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(await locksOf(quote.id)).toEqual([{ mode: 'GOVERNANCE', until: '2037-01-01T00:00:00.000Z', held: false }]);
    // A superadmin shortens it: the database only.
    const shortened = await call('PUT', `/documents/${invoice.id}/retention`, { retainUntil: '2027-01-01', reason: 'Duplicate kept by the accountant' }, superadmin);
    expect(shortened.statusCode, shortened.body).toBe(200);
    expect(shortened.json()).toMatchObject({ retainUntil: '2027-01-01' });
    expect((await locksOf(invoice.id)).map((lock) => lock.until)).toEqual(['2040-01-01T00:00:00.000Z', '2040-01-01T00:00:00.000Z']);
  });

  it("refuses docstore's own credentials deleting a locked version", async () => {
    at('2026-12-05T11:00:00Z');
    const invoice = await upload('invoice', { documentDate: '2025-03-10' });
    const [key] = await keysOf(invoice.id);
    const [version] = await versionsOf(client, bucket, key as string);
    const outcome = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: version!.versionId })).then(
      () => 'deleted',
      (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => `${error.name} ${error.$metadata?.httpStatusCode}`,
    );
    expect(outcome).toBe('AccessDenied 403');
    expect(await versionsOf(client, bucket, key as string)).toHaveLength(1);
  });

  it('keeps whole, and reports kept, a purged document whose storage lock outlives its shortened retention', async () => {
    at('2026-12-05T11:00:00Z');
    const invoice = await upload('invoice', { documentDate: '2025-03-10' });
    await addVersion(invoice.id, Buffer.concat([PDF, Buffer.from('% v2\n')]));
    expect((await call('PUT', `/documents/${invoice.id}/retention`, { retainUntil: '2027-01-01', reason: 'Filed twice by mistake' }, superadmin)).statusCode).toBe(200);
    at('2027-02-01T11:00:00Z');
    expect((await call('DELETE', `/documents/${invoice.id}`)).statusCode).toBe(204);
    at('2027-03-15T11:00:00Z');
    const report = await fixture.service.documents.purgeReport();
    expect(report).toEqual({ purged: 0, kept: 1 });
    const row = await fixture.service.db.selectFrom('documents').select('id').where('id', '=', invoice.id).executeTakeFirst();
    expect(row?.id).toBe(invoice.id);
    for (const key of await keysOf(invoice.id)) {
      expect(await versionsOf(client, bucket, key)).toEqual([expect.objectContaining({ deleteMarker: false })]);
      expect((await lockOf(key)).until).toBe('2036-01-01T00:00:00.000Z');
    }
  });
  it('writes the lock in the put itself: a documents service that follows no change still locks its uploads and versions', async () => {
    at('2026-12-05T11:00:00Z');
    const bare = new DocumentService({ db: fixture.service.db, storage: fixture.service.storage, audit: fixture.service.audit.log, allowedMimeTypes: new Set(['application/pdf']), maxUploadBytes: 10 * 1024 * 1024, trashDays: 30, now: () => clock });
    const principal = { userId: 'syndic-1', organizationId: ORG_A, role: 'syndic' as const, buildingIds: [] };
    const parts = async function* (fields: Record<string, string>): AsyncIterable<UploadPart> {
      for (const [name, value] of Object.entries(fields)) yield { kind: 'field', name, value };
      yield { kind: 'file', fieldName: 'file', fileName: 'document.pdf', stream: Readable.from([PDF]) };
    };
    const invoice = await bare.upload(principal, building, parts({ type: 'invoice', title: 'Chauffage', documentDate: '2025-03-10' }));
    await bare.addVersion(principal, invoice.id, parts({}));
    expect(await locksOf(invoice.id)).toEqual([
      { mode: 'GOVERNANCE', until: '2036-01-01T00:00:00.000Z', held: false },
      { mode: 'GOVERNANCE', until: '2036-01-01T00:00:00.000Z', held: false },
    ]);
    expect((await call('PUT', `/documents/${invoice.id}/legal-hold`, { held: true, reason: 'Dispute' })).statusCode).toBe(200);
    await bare.addVersion(principal, invoice.id, parts({}));
    expect((await locksOf(invoice.id)).map((lock) => lock.held)).toEqual([true, true, true]);
    expect((await call('PUT', `/documents/${invoice.id}/legal-hold`, { held: false, reason: 'Settled' })).statusCode).toBe(200);
  });

  it("extends the locks of an organisation's documents when its policy lengthens a period, and leaves them when it shortens one", async () => {
    at('2026-12-05T11:00:00Z');
    const orgSyndic = { authorization: `Bearer ${await fixture.token('syndic', { org: ORG_B, sub: 'syndic-b', ttlSeconds: 3600 })}` };
    const orgAdmin = { authorization: `Bearer ${await fixture.token('superadmin', { org: ORG_B, sub: 'root-b', ttlSeconds: 3600 })}` };
    const orgBuilding = await registerBuilding(fixture, { org: ORG_B });
    const { payload, headers } = multipartBody([
      { name: 'type', value: 'invoice' },
      { name: 'title', value: 'Ascenseur' },
      { name: 'documentDate', value: '2025-03-10' },
      { name: 'file', fileName: 'a.pdf', content: PDF },
    ]);
    const uploaded = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${orgBuilding}/documents`, payload, headers: { ...headers, ...orgSyndic } });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const invoice = uploaded.json() as ProtectedDocument;
    const longer = await call('PUT', `/organizations/${ORG_B}/retention-policies`, { periods: { invoice: '15' }, reason: 'Advice of our accountant' }, orgAdmin);
    expect(longer.statusCode, longer.body).toBe(200);
    expect(await locksOf(invoice.id)).toEqual([{ mode: 'GOVERNANCE', until: '2041-01-01T00:00:00.000Z', held: false }]);
    const shorter = await call('PUT', `/organizations/${ORG_B}/retention-policies`, { periods: { invoice: '7' }, reason: 'Advice revised' }, orgAdmin);
    expect(shorter.statusCode, shorter.body).toBe(200);
    expect((await call('GET', `/documents/${invoice.id}`, undefined, orgSyndic)).json().retention.retainUntil).toBe('2033-01-01');
    expect(await locksOf(invoice.id)).toEqual([{ mode: 'GOVERNANCE', until: '2041-01-01T00:00:00.000Z', held: false }]);
  });
});
