import { randomUUID } from 'node:crypto';
import { Agent, get as httpGet } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { ORG_A, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { PDF, documentUpload, pdfOfSize } from '../support/upload-request.js';
import { sha256 } from '../support/streams.js';


for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`documents API on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let syndic: string;
    let auth: Record<string, string>;

    beforeAll(async () => {
      fixture = await factory({ listen: true });
      syndic = await fixture.token('syndic', { sub: 'syndic-42' });
      auth = { authorization: `Bearer ${syndic}` };
    });
    afterAll(async () => fixture?.close());

    async function upload(buildingId: string, options: Parameters<typeof documentUpload>[0] = {}): Promise<Document> {
      const { payload, headers } = documentUpload(options);
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, ...auth } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as Document;
    }

    it('uploads: 201, Location, content-derived metadata, uploader from the token', async () => {
      const building = await registerBuilding(fixture);
      const { payload, headers } = documentUpload({
        title: '  Procès-verbal AG 2026  ',
        fileName: "Règlement d'ordre intérieur.pdf",
        type: 'meeting_minutes',
        extra: [
          { name: 'uploadedBy', value: 'someone-else' },
          { name: 'description', value: 'Assemblée générale ordinaire' },
        ],
      });
      const response = await fixture.service.app.inject({
        method: 'POST',
        url: `/api/v1/buildings/${building}/documents`,
        payload,
        headers: { ...headers, ...auth, 'content-type': headers['content-type'] as string },
      });
      expect(response.statusCode, response.body).toBe(201);
      const document = response.json() as Document;
      expect(response.headers.location).toBe(`/api/v1/documents/${document.id}`);
      expect(document).toMatchObject({
        organizationId: ORG_A,
        buildingId: building,
        type: 'meeting_minutes',
        title: 'Procès-verbal AG 2026',
        description: 'Assemblée générale ordinaire',
        fileName: "Règlement d'ordre intérieur.pdf",
        mimeType: 'application/pdf',
        size: PDF.length,
        sha256: sha256(PDF),
        uploadedBy: 'syndic-42',
        deletedAt: null,
      });
      expect(document.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(JSON.stringify(document)).not.toContain('storageKey');
      const [object] = await collect(fixture.service.storage.list({ prefix: `${ORG_A}/${building}/` }));
      expect(object).toMatchObject({ key: `${ORG_A}/${building}/${document.id}` });
    });

    it('lists newest first, filters by type, searches titles and file names, paginates with a stable cursor', async () => {
      const building = await registerBuilding(fixture);
      const created: Document[] = [];
      for (let i = 0; i < 7; i++) {
        created.push(await upload(building, { type: i % 2 === 0 ? 'invoice' : 'contract', title: `Document ${i}`, fileName: i === 3 ? 'chauffage.pdf' : `doc-${i}.pdf` }));
      }
      const list = async (query: string) => {
        const response = await fixture.service.app.inject({ url: `/api/v1/buildings/${building}/documents?${query}`, headers: auth });
        expect(response.statusCode, response.body).toBe(200);
        return response.json() as { items: Document[]; nextCursor: string | null };
      };
      const all = await list('');
      expect(all.items.map((d) => d.id)).toEqual([...created].reverse().map((d) => d.id));
      expect(all.nextCursor).toBeNull();
      expect((await list('type=contract')).items.map((d) => d.title)).toEqual(['Document 5', 'Document 3', 'Document 1']);
      expect((await list('q=CHAUFF')).items.map((d) => d.title)).toEqual(['Document 3']);
      expect((await list('q=document%206')).items.map((d) => d.title)).toEqual(['Document 6']);
      expect((await list('q=100%25')).items).toEqual([]);
      const first = await list('limit=3');
      expect(first.items.map((d) => d.title)).toEqual(['Document 6', 'Document 5', 'Document 4']);
      // Inserts between pages do not move the next page.
      await upload(building, { title: 'Inserted meanwhile' });
      const second = await list(`limit=3&cursor=${first.nextCursor}`);
      expect(second.items.map((d) => d.title)).toEqual(['Document 3', 'Document 2', 'Document 1']);
      const third = await list(`limit=3&cursor=${second.nextCursor}`);
      expect(third.items.map((d) => d.title)).toEqual(['Document 0']);
      expect(third.nextCursor).toBeNull();
      // A cursor from another listing is refused.
      const other = await fixture.service.app.inject({ url: `/api/v1/buildings/${building}/documents?type=invoice&cursor=${first.nextCursor}`, headers: auth });
      expect(other.statusCode).toBe(400);
      expect(other.json()).toMatchObject({ code: 'documents.invalid_cursor' });
    });

    it('serves content with its headers, ranges, 304 and 416', async () => {
      const bytes = pdfOfSize(200_000);
      const document = await upload(await registerBuilding(fixture), { content: bytes, fileName: 'Décompte final\u202E.pdf' });
      const url = `/api/v1/documents/${document.id}/content`;
      const whole = await fixture.service.app.inject({ url, headers: auth });
      expect(whole.statusCode).toBe(200);
      expect(whole.rawPayload.equals(bytes)).toBe(true);
      expect(whole.headers).toMatchObject({
        'content-type': 'application/pdf',
        'content-length': String(bytes.length),
        etag: `"${sha256(bytes)}"`,
        'x-content-type-options': 'nosniff',
        'content-disposition': `attachment; filename="Decompte final.pdf"; filename*=UTF-8''D%C3%A9compte%20final.pdf`,
      });
      expect(whole.headers['cache-control']).toContain('private');
      expect(new Date(whole.headers['last-modified'] as string).getTime()).toBeGreaterThan(0);
      const inline = await fixture.service.app.inject({ url: `${url}?disposition=inline`, headers: auth });
      expect(inline.headers['content-disposition']).toMatch(/^inline; /);
      const ranged = await fixture.service.app.inject({ url, headers: { ...auth, range: 'bytes=100-199' } });
      expect(ranged.statusCode).toBe(206);
      expect(ranged.headers['content-range']).toBe(`bytes 100-199/${bytes.length}`);
      expect(ranged.rawPayload.equals(bytes.subarray(100, 200))).toBe(true);
      const suffix = await fixture.service.app.inject({ url, headers: { ...auth, range: 'bytes=-10' } });
      expect(suffix.rawPayload.equals(bytes.subarray(bytes.length - 10))).toBe(true);
      const unsatisfiable = await fixture.service.app.inject({ url, headers: { ...auth, range: `bytes=${bytes.length}-` } });
      expect(unsatisfiable.statusCode).toBe(416);
      expect(unsatisfiable.headers['content-range']).toBe(`bytes */${bytes.length}`);
      expect(unsatisfiable.json()).toMatchObject({ status: 416, code: 'content.range_not_satisfiable' });
      const cached = await fixture.service.app.inject({ url, headers: { ...auth, 'if-none-match': `"${sha256(bytes)}"` } });
      expect(cached.statusCode).toBe(304);
      expect(cached.rawPayload.length).toBe(0);
    });

    it('serves concurrent downloads of large documents whole over sockets, slow readers among them', async () => {
      // Content is read into reused buffers (src/lib/buffer-pool.ts): none may be reused before its bytes are sent.
      const buildingId = await registerBuilding(fixture);
      const contents = [pdfOfSize(9_000_000), pdfOfSize(600_001), pdfOfSize(8_000_000)].map((bytes, index) => Buffer.concat([bytes, Buffer.alloc(index + 1, index)]));
      const documents = await Promise.all(contents.map((content) => upload(buildingId, { content })));
      const agent = new Agent({ keepAlive: true, maxSockets: 12 });
      const download = (index: number) =>
        new Promise<Buffer>((resolve, reject) => {
          const document = documents[index % documents.length] as Document;
          const request = httpGet(`${fixture.baseUrl}/api/v1/documents/${document.id}/content`, { agent, headers: auth }, (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => {
              chunks.push(chunk);
              if (index % 3 === 0) {
                response.pause();
                setTimeout(() => response.resume(), 3);
              }
            });
            response.once('end', () => resolve(Buffer.concat(chunks)));
            response.once('error', reject);
          });
          request.once('error', reject);
        });
      try {
        const received = await Promise.all(Array.from({ length: 12 }, (_, index) => download(index)));
        received.forEach((bytes, index) => expect(sha256(bytes), `download ${index}`).toBe(sha256(contents[index % contents.length] as Buffer)));
      } finally {
        agent.destroy();
      }
    });

    it('gives a time-limited download link that a plain HTTP client can use without a token', async () => {
      const bytes = pdfOfSize(50_000);
      const document = await upload(await registerBuilding(fixture), { content: bytes, fileName: 'Contrat d’entretien.pdf' });
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/download-url`, payload: { expiresInSeconds: 60 }, headers: auth });
      expect(response.statusCode, response.body).toBe(200);
      const { url, expiresAt } = response.json() as { url: string; expiresAt: string };
      expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(50_000);
      const download = await fetch(url);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
      expect(download.headers.get('content-type')).toBe('application/pdf');
      expect(download.headers.get('content-disposition')).toContain("filename*=UTF-8''Contrat%20d%E2%80%99entretien.pdf");
      for (const expiresInSeconds of [0, 3601]) {
        const refused = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/download-url`, payload: { expiresInSeconds }, headers: auth });
        expect(refused.statusCode).toBe(400);
        expect(refused.headers['content-type']).toContain('application/problem+json');
      }
    });

    it('edits a document, and refuses invalid edits', async () => {
      const document = await upload(await registerBuilding(fixture));
      const meeting = randomUUID();
      const patched = await fixture.service.app.inject({
        method: 'PATCH',
        url: `/api/v1/documents/${document.id}`,
        payload: { title: 'Facture corrigée', type: 'financial_statement', relatedMeetingId: meeting },
        headers: auth,
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({ title: 'Facture corrigée', type: 'financial_statement', relatedMeetingId: meeting });
      for (const payload of [{ title: '' }, { title: 'x'.repeat(256) }, { type: 'memo' }, { relatedMeetingId: 'not-a-uuid' }, { storageKey: 'x' }]) {
        const refused = await fixture.service.app.inject({ method: 'PATCH', url: `/api/v1/documents/${document.id}`, payload, headers: auth });
        expect(refused.statusCode, JSON.stringify(payload)).toBe(400);
        expect(refused.json()).toMatchObject({ status: 400, code: 'request.invalid' });
      }
    });

    it('moves to the trash, lists the trash, restores, and purges after the retention', async () => {
      const building = await registerBuilding(fixture);
      // Without a legal minimum (an invoice is kept 10 years: test/documents/retention/).
      const document = await upload(building, { type: 'other' });
      const deleted = await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${document.id}`, headers: auth });
      expect(deleted.statusCode).toBe(204);
      expect((await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}`, headers: auth })).statusCode).toBe(404);
      const live = await fixture.service.app.inject({ url: `/api/v1/buildings/${building}/documents`, headers: auth });
      expect(live.json().items).toEqual([]);
      const trash = await fixture.service.app.inject({ url: `/api/v1/buildings/${building}/trash`, headers: auth });
      expect(trash.json().items.map((d: Document) => d.id)).toEqual([document.id]);
      expect(await fixture.service.storage.exists(`${ORG_A}/${building}/${document.id}`)).toBe(true);
      const restored = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/restore`, headers: auth });
      expect(restored.statusCode).toBe(200);
      expect(restored.json()).toMatchObject({ id: document.id, deletedAt: null });
      expect((await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}`, headers: auth })).statusCode).toBe(200);
      // Purge keeps recent trash, removes old trash: object first, then row.
      await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${document.id}`, headers: auth });
      expect(await fixture.service.documents.purge()).toBe(0);
      const { DocumentService } = await import('../../src/documents/document-service.js');
      const later = new DocumentService({
        db: fixture.service.db,
        storage: fixture.service.storage,
        audit: fixture.service.audit.log,
        allowedMimeTypes: new Set(['application/pdf']),
        maxUploadBytes: 1,
        trashDays: 30,
        now: () => new Date(Date.now() + 31 * 86_400_000),
      });
      expect(await later.purge()).toBeGreaterThanOrEqual(1);
      expect(await fixture.service.storage.exists(`${ORG_A}/${building}/${document.id}`)).toBe(false);
      expect((await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/restore`, headers: auth })).statusCode).toBe(404);
    });

    it('answers health checks, OpenAPI and the docs page', async () => {
      expect((await fixture.service.app.inject({ url: '/health/live' })).json()).toEqual({ status: 'ok' });
      expect((await fixture.service.app.inject({ url: '/health/ready' })).json()).toEqual({ status: 'ready', database: 'ok', storage: 'ok' });
      const openapi = (await fixture.service.app.inject({ url: '/openapi.json' })).json() as { openapi: string; paths: Record<string, unknown> };
      expect(openapi.openapi).toMatch(/^3\./);
      expect(Object.keys(openapi.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/buildings/{buildingId}/documents',
          '/api/v1/buildings/{buildingId}/trash',
          '/api/v1/documents/{id}',
          '/api/v1/documents/{id}/content',
          '/api/v1/documents/{id}/download-url',
          '/api/v1/documents/{id}/restore',
          '/health/ready',
        ]),
      );
      const docs = await fixture.service.app.inject({ url: '/docs/' });
      expect(docs.statusCode).toBe(200);
      expect(docs.headers['content-type']).toContain('text/html');
    });

    it('answers an unknown building like another organisation’s: 404, existence not revealed', async () => {
      for (const url of [`/api/v1/buildings/${randomUUID()}/documents`, `/api/v1/buildings/${randomUUID()}/trash`]) {
        const response = await fixture.service.app.inject({ url, headers: auth });
        expect(response.statusCode).toBe(404);
        expect(response.json()).toMatchObject({ code: 'documents.not_found' });
      }
    });

    it('answers unknown routes with problem+json', async () => {
      const response = await fixture.service.app.inject({ url: '/api/v1/nothing-here' });
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 404, code: 'request.not_found', instance: '/api/v1/nothing-here' });
    });
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
