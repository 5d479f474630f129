import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { registerBuilding } from '../support/buildings.js';
import { damageInPlace } from '../support/damage.js';
import { openRawRequest, type RawAnswer } from '../support/raw-http.js';
import { localSqliteService, s3PostgresService, type FixtureFactory, type ServiceFixture } from '../support/service-fixture.js';
import { sha256 } from '../support/streams.js';
import { documentUpload, multipartBody, pdfOfSize } from '../support/upload-request.js';

const MASTER_KEYS = `2026-12:${randomBytes(32).toString('base64')}`;
/** More than one chunk of a local read (512 KiB, src/http/content/object-response.ts): the first is sent before the damage is known. */
const SIZE = 700_000;

const CASES: Array<[string, FixtureFactory, Record<string, string>]> = [
  ['local + SQLite', localSqliteService, {}],
  ['S3 (RGW) + PostgreSQL', s3PostgresService, {}],
  ['client-side encryption, local + SQLite', localSqliteService, { DOCSTORE_MASTER_KEYS: MASTER_KEYS }],
  ['client-side encryption, S3 (RGW) + PostgreSQL', s3PostgresService, { DOCSTORE_MASTER_KEYS: MASTER_KEYS }],
];

for (const [name, factory, env] of CASES) {
  describe(`an object damaged in place is refused mid-stream, on ${name}`, () => {
    let fixture: ServiceFixture;
    let auth: Record<string, string>;

    beforeAll(async () => {
      fixture = await factory({ listen: true, env });
      auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
    });
    afterAll(async () => fixture?.close());

    async function upload(content: Buffer): Promise<Document> {
      const building = await registerBuilding(fixture);
      const { payload, headers } = documentUpload({ type: 'other', content });
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as Document;
    }

    async function storageKeyOf(documentId: string, version: number): Promise<string> {
      const row = await fixture.service.db.selectFrom('document_versions').select('storage_key').where('document_id', '=', documentId).where('version', '=', version).executeTakeFirstOrThrow();
      return row.storage_key;
    }

    /** A GET on a real connection, read until the server closes it: what any HTTP client would receive. */
    function rawGet(path: string, headers: Record<string, string> = auth): Promise<RawAnswer> {
      return openRawRequest(fixture.baseUrl!, 'GET', path, { ...headers, connection: 'close' }).closed;
    }

    async function statusOf(documentId: string): Promise<string> {
      const response = await fixture.service.app.inject({ url: `/api/v1/documents/${documentId}`, headers: auth });
      return (response.json() as Document).status;
    }

    async function failures(source: string): Promise<number> {
      const match = new RegExp(`^docstore_integrity_failures_total\\{source="${source}",reason="mismatch"\\} (\\d+)$`, 'm').exec(await fixture.service.metrics.exposition());
      return Number(match?.[1] ?? NaN);
    }

    it('serves a whole object in full, and the document stays active', async () => {
      const content = pdfOfSize(SIZE);
      const document = await upload(content);
      const answer = await rawGet(`/api/v1/documents/${document.id}/content`);
      expect(answer.status).toBe(200);
      expect(answer.body.length).toBe(SIZE);
      expect(sha256(answer.body)).toBe(document.sha256);
      expect(await statusOf(document.id)).toBe('active');
    });

    it('/content: the connection is cut before the last byte, the document is broken, the failure counted', async () => {
      const document = await upload(pdfOfSize(SIZE));
      await damageInPlace(fixture, await storageKeyOf(document.id, 1), 150_000);
      const before = await failures('read');
      const answer = await rawGet(`/api/v1/documents/${document.id}/content`);
      // Headers went out before the damage could be known; the body never reaches its length.
      if (answer.status !== 0) {
        expect(answer.status).toBe(200);
        expect(answer.headers['content-length']).toBe(String(SIZE));
      }
      expect(answer.body.length).toBeLessThan(SIZE);
      expect(answer.closedByServer).toBe(true);
      expect(await statusOf(document.id)).toBe('broken');
      expect(await failures('read')).toBe(before + 1);
      // fetch, as a browser or a script would: the body fails, never a complete download.
      const response = await fetch(`${fixture.baseUrl}/api/v1/documents/${document.id}/content`, { headers: auth });
      await expect(response.arrayBuffer()).rejects.toThrow();
    });

    it('an older version damaged: its download is cut, the document is broken, the current version still serves', async () => {
      const document = await upload(pdfOfSize(SIZE));
      const second = pdfOfSize(SIZE);
      const body = multipartBody([{ name: 'file', fileName: 'v2.pdf', content: second }]);
      const added = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/versions`, payload: body.payload, headers: { ...body.headers, ...auth } });
      expect(added.statusCode, added.body).toBe(201);
      await damageInPlace(fixture, await storageKeyOf(document.id, 1), SIZE - 10);
      const old = await rawGet(`/api/v1/documents/${document.id}/versions/1/content`);
      expect(old.body.length).toBeLessThan(SIZE);
      expect(old.closedByServer).toBe(true);
      expect(await statusOf(document.id)).toBe('broken');
      const current = await rawGet(`/api/v1/documents/${document.id}/content`);
      expect(current.status).toBe(200);
      expect(sha256(current.body)).toBe(sha256(second));
    });

    it('a range of a damaged object is served unchecked (the scrub covers ranges), unless encryption refuses it', async () => {
      const document = await upload(pdfOfSize(SIZE));
      await damageInPlace(fixture, await storageKeyOf(document.id, 1), 150_000);
      const answer = await rawGet(`/api/v1/documents/${document.id}/content`, { ...auth, range: 'bytes=0-999' });
      expect(answer.status).toBe(206);
      expect(answer.body.length).toBe(1000);
      expect(await statusOf(document.id)).toBe('active');
    });

    it('a signed link served by docstore is checked as well', async () => {
      const document = await upload(pdfOfSize(SIZE));
      const link = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/download-url`, payload: {}, headers: auth });
      expect(link.statusCode, link.body).toBe(200);
      const url = new URL((link.json() as { url: string }).url);
      // Documents' links are served by docstore on every storage (plain S3 included), so they are checked and recorded.
      expect(url.pathname).toMatch(/^\/api\/v1\/signed\//);
      await damageInPlace(fixture, await storageKeyOf(document.id, 1), 150_000);
      const answer = await rawGet(url.pathname, {});
      expect(answer.body.length).toBeLessThan(SIZE);
      expect(answer.closedByServer).toBe(true);
      expect(await statusOf(document.id)).toBe('broken');
    });
  });
}
