import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/shared/principal.js';
import type { Document } from '../../src/shared/document.js';
import type { DocumentVersion } from '../../src/shared/document-version.js';
import { DocumentService, type UploadPart } from '../../src/documents/document-service.js';
import { registerBuilding } from '../support/buildings.js';
import { SAMPLES } from '../support/sample-files.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { sha256, streamOf } from '../support/streams.js';
import { PDF, documentUpload, multipartBody, pdfOfSize, type FormPart } from '../support/upload-request.js';

const MAX_UPLOAD_BYTES = 200_000;
const DAY_MS = 86_400_000;

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`document versions on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let auth: Record<string, string>;

    beforeAll(async () => {
      fixture = await factory({ listen: true, env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } });
      auth = { authorization: `Bearer ${await fixture.token('syndic', { sub: 'syndic-1' })}` };
    });
    afterAll(async () => fixture?.close());

    async function upload(buildingId: string, options: Parameters<typeof documentUpload>[0] = {}): Promise<Document> {
      const { payload, headers } = documentUpload(options);
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, ...auth } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as Document;
    }

    function postVersion(documentId: string, parts: FormPart[], headers: Record<string, string> = auth) {
      const body = multipartBody(parts);
      return fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${documentId}/versions`, payload: body.payload, headers: { ...body.headers, ...headers } });
    }

    async function addVersion(documentId: string, content: Buffer, fileName: string, headers: Record<string, string> = auth): Promise<DocumentVersion> {
      const response = await postVersion(documentId, [{ name: 'file', fileName, content }], headers);
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as DocumentVersion;
    }

    async function versions(documentId: string): Promise<DocumentVersion[]> {
      const response = await fixture.service.app.inject({ url: `/api/v1/documents/${documentId}/versions`, headers: auth });
      expect(response.statusCode, response.body).toBe(200);
      return (response.json() as { items: DocumentVersion[] }).items;
    }

    async function keysUnder(prefix: string): Promise<string[]> {
      const keys: string[] = [];
      for await (const entry of fixture.service.storage.list({ prefix })) if (entry.kind === 'object') keys.push(entry.key);
      return keys.sort();
    }

    it('adds versions: the newest is the current content, older ones are kept and listed newest first, each under its own key', async () => {
      const building = await registerBuilding(fixture);
      const document = await upload(building, { type: 'contract', title: 'Contrat ascenseur', fileName: 'contrat-2025.pdf' });
      const second = pdfOfSize(5000);
      const accountant = { authorization: `Bearer ${await fixture.token('accountant', { sub: 'accountant-7' })}` };
      const invoice = await upload(building, { type: 'invoice', fileName: 'facture.pdf' });

      const response = await postVersion(document.id, [{ name: 'file', fileName: 'contrat-2026.pdf', content: second }]);
      expect(response.statusCode, response.body).toBe(201);
      const v2 = response.json() as DocumentVersion;
      expect(response.headers.location).toBe(`/api/v1/documents/${document.id}/versions/2`);
      expect(v2).toEqual({ version: 2, fileName: 'contrat-2026.pdf', mimeType: 'application/pdf', size: second.length, sha256: sha256(second), uploadedBy: 'syndic-1', createdAt: expect.any(String) });
      const v3 = await addVersion(document.id, SAMPLES.png!.content, 'plan.png');
      expect(v3).toMatchObject({ version: 3, mimeType: 'image/png', size: SAMPLES.png!.content.length });
      // An accountant adds versions of the types it may upload.
      expect(await addVersion(invoice.id, pdfOfSize(300), 'facture-corrigée.pdf', accountant)).toMatchObject({ version: 2, uploadedBy: 'accountant-7', fileName: 'facture-corrigée.pdf' });

      const listed = await versions(document.id);
      expect(listed.map((version) => version.version)).toEqual([3, 2, 1]);
      expect(listed[2]).toMatchObject({ version: 1, fileName: 'contrat-2025.pdf', size: PDF.length, sha256: sha256(PDF), uploadedBy: 'syndic-1', createdAt: document.createdAt });
      expect(listed[1]).toEqual(v2);

      // Title, type and dates stay the document's; its content fields are the current version's.
      const current = (await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}`, headers: auth })).json() as Document;
      expect(current).toMatchObject({ id: document.id, title: 'Contrat ascenseur', type: 'contract', fileName: 'plan.png', mimeType: 'image/png', size: v3.size, sha256: v3.sha256, uploadedBy: 'syndic-1', createdAt: document.createdAt });
      const content = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/content`, headers: auth });
      expect(content.rawPayload.equals(SAMPLES.png!.content)).toBe(true);

      // Version 1 keeps the key it always had; later ones get their own, with no user text.
      const keys = await keysUnder(`${ORG_A}/${building}/${document.id}`);
      expect(keys).toHaveLength(3);
      expect(keys[0]).toBe(`${ORG_A}/${building}/${document.id}`);
      expect(keys[1]).toMatch(new RegExp(`^${ORG_A}/${building}/${document.id}/v2-[0-9a-f-]{36}$`));
      expect(keys[2]).toMatch(new RegExp(`^${ORG_A}/${building}/${document.id}/v3-[0-9a-f-]{36}$`));
      expect(JSON.stringify(listed)).not.toContain('storage');
      const single = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/2`, headers: auth });
      expect(single.json()).toEqual(v2);
    });

    it('downloads each version as /content does: whole, Range, ETag and If-None-Match, a signed link', async () => {
      const building = await registerBuilding(fixture);
      const first = pdfOfSize(10_000);
      const document = await upload(building, { content: first, fileName: 'budget.pdf' });
      const second = pdfOfSize(20_000);
      await addVersion(document.id, second, 'budget-v2.pdf');

      const whole = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/1/content`, headers: auth });
      expect(whole.statusCode).toBe(200);
      expect(whole.rawPayload.equals(first)).toBe(true);
      expect(whole.headers).toMatchObject({ 'content-type': 'application/pdf', 'content-length': String(first.length), etag: `"${sha256(first)}"`, 'x-content-type-options': 'nosniff' });
      expect(whole.headers['content-disposition']).toContain('budget.pdf');

      const range = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/1/content`, headers: { ...auth, range: 'bytes=100-199' } });
      expect(range.statusCode).toBe(206);
      expect(range.headers['content-range']).toBe(`bytes 100-199/${first.length}`);
      expect(range.rawPayload.equals(first.subarray(100, 200))).toBe(true);
      const suffix = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/2/content`, headers: { ...auth, range: 'bytes=-10' } });
      expect(suffix.statusCode).toBe(206);
      expect(suffix.rawPayload.equals(second.subarray(second.length - 10))).toBe(true);
      const outside = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/1/content`, headers: { ...auth, range: `bytes=${first.length + 10}-` } });
      expect(outside.statusCode).toBe(416);
      expect(outside.json()).toMatchObject({ code: 'content.range_not_satisfiable' });

      const notModified = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/1/content`, headers: { ...auth, 'if-none-match': `"${sha256(first)}"` } });
      expect(notModified.statusCode).toBe(304);
      const otherTag = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/2/content`, headers: { ...auth, 'if-none-match': `"${sha256(first)}"` } });
      expect(otherTag.statusCode).toBe(200);
      expect(otherTag.rawPayload.equals(second)).toBe(true);

      const link = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/versions/1/download-url`, payload: { expiresInSeconds: 60 }, headers: auth });
      expect(link.statusCode, link.body).toBe(200);
      const { url } = link.json() as { url: string };
      const fetched = await fetch(new URL(url, fixture.baseUrl));
      expect(fetched.status).toBe(200);
      expect(Buffer.from(await fetched.arrayBuffer()).equals(first)).toBe(true);
    });

    it('follows the upload rules: roles, tenancy, one file only, sniffed types, size limit, create-only, nothing half-written', async () => {
      const building = await registerBuilding(fixture);
      const document = await upload(building, { type: 'contract' });
      const prefix = `${ORG_A}/${building}/${document.id}`;
      const as = async (role: 'owner' | 'board_member' | 'accountant', org = ORG_A) => ({ authorization: `Bearer ${await fixture.token(role, { org, buildings: [building] })}` });
      const file: FormPart = { name: 'file', fileName: 'v.pdf', content: PDF };

      expect((await postVersion(document.id, [file], await as('owner'))).json()).toMatchObject({ status: 403, code: 'auth.forbidden' });
      expect((await postVersion(document.id, [file], await as('board_member'))).json()).toMatchObject({ status: 403, code: 'auth.forbidden' });
      // An accountant uploads invoices and financial statements only.
      expect((await postVersion(document.id, [file], await as('accountant'))).json()).toMatchObject({ status: 403, code: 'auth.forbidden' });
      const stranger = { authorization: `Bearer ${await fixture.token('syndic', { org: ORG_B })}` };
      expect((await postVersion(document.id, [file], stranger)).json()).toMatchObject({ status: 404, code: 'documents.not_found' });
      expect((await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions`, headers: stranger })).statusCode).toBe(404);
      // Readers of the building list and download versions.
      const owner = await as('owner');
      expect((await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions`, headers: owner })).statusCode).toBe(200);
      expect((await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/1/content`, headers: owner })).statusCode).toBe(200);

      const refusals: Array<[FormPart[], number, string]> = [
        [[], 400, 'upload.no_file'],
        [[{ name: 'title', value: 'Nouveau titre' }, file], 400, 'documents.invalid_input'],
        [[file, { name: 'type', value: 'invoice' }], 400, 'documents.invalid_input'],
        [[file, { name: 'file', fileName: 'b.pdf', content: PDF }], 400, 'upload.multiple_files'],
        [[{ name: 'attachment', fileName: 'a.pdf', content: PDF }], 400, 'documents.invalid_input'],
        [[{ name: 'file', fileName: 'vide.pdf', content: Buffer.alloc(0) }], 400, 'upload.empty_file'],
        [[{ name: 'file', fileName: 'script.pdf', content: Buffer.from('MZ\x90\x00\x03\x00\x00\x00binary executable') }], 415, 'upload.unsupported_content'],
        [[{ name: 'file', fileName: 'big.pdf', content: pdfOfSize(MAX_UPLOAD_BYTES + 1) }], 413, 'upload.too_large'],
      ];
      for (const [parts, status, code] of refusals) {
        const response = await postVersion(document.id, parts);
        expect({ status: response.statusCode, code: (response.json() as { code: string }).code }, code).toEqual({ status, code });
        expect(response.headers['content-type']).toContain('application/problem+json');
      }
      const notMultipart = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/versions`, payload: { file: 'x' }, headers: auth });
      expect(notMultipart.statusCode).toBe(415);
      // Nothing was stored, nothing recorded: the document still has its one version and object.
      expect(await keysUnder(prefix)).toEqual([prefix]);
      expect((await versions(document.id)).map((version) => version.version)).toEqual([1]);
    });

    it('describes the version routes in the OpenAPI document', async () => {
      const openapi = (await fixture.service.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
      expect(Object.keys(openapi.paths['/api/v1/documents/{id}/versions'] ?? {}).sort()).toEqual(['get', 'post']);
      for (const path of ['/api/v1/documents/{id}/versions/{version}', '/api/v1/documents/{id}/versions/{version}/content']) expect(Object.keys(openapi.paths[path] ?? {})).toEqual(['get']);
      expect(Object.keys(openapi.paths['/api/v1/documents/{id}/versions/{version}/download-url'] ?? {})).toEqual(['post']);
    });

    it('answers bad version numbers with 400 and unknown ones with 404 document.version_not_found', async () => {
      const building = await registerBuilding(fixture);
      const document = await upload(building);
      for (const bad of ['0', '-1', '1.5', 'abc', '99999999999']) {
        for (const suffix of ['', '/content']) {
          const response = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/${bad}${suffix}`, headers: auth });
          expect({ bad, status: response.statusCode, code: (response.json() as { code: string }).code }).toEqual({ bad, status: 400, code: 'request.invalid' });
        }
      }
      for (const url of [`/api/v1/documents/${document.id}/versions/2`, `/api/v1/documents/${document.id}/versions/2/content`]) {
        const response = await fixture.service.app.inject({ url, headers: auth });
        expect(response.statusCode).toBe(404);
        expect(response.json()).toMatchObject({ code: 'document.version_not_found', type: 'urn:docstore:document.version_not_found' });
      }
      const link = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/versions/2/download-url`, payload: {}, headers: auth });
      expect(link.json()).toMatchObject({ status: 404, code: 'document.version_not_found' });
      const unknownDocument = await fixture.service.app.inject({ url: `/api/v1/documents/0190a000-0000-7000-8000-0000000000ff/versions`, headers: auth });
      expect(unknownDocument.json()).toMatchObject({ status: 404, code: 'documents.not_found' });
    });

    it('replays a retried version upload with the same Idempotency-Key: one version stored', async () => {
      const building = await registerBuilding(fixture);
      const document = await upload(building);
      const headers = { ...auth, 'idempotency-key': `version-${document.id}` };
      const content = pdfOfSize(1234);
      const first = await postVersion(document.id, [{ name: 'file', fileName: 'v2.pdf', content }], headers);
      expect(first.statusCode, first.body).toBe(201);
      const again = await postVersion(document.id, [{ name: 'file', fileName: 'v2.pdf', content }], headers);
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expect((await versions(document.id)).map((version) => version.version)).toEqual([2, 1]);
      expect(await keysUnder(`${ORG_A}/${building}/${document.id}`)).toHaveLength(2);
    });

    it('of two versions added at once, the second to commit answers 409 document.version_conflict and leaves no object', async () => {
      const building = await registerBuilding(fixture);
      const document = await upload(building);
      const principal: Principal = { userId: 'syndic-1', organizationId: ORG_A, role: 'syndic', buildingIds: [] };
      // The first upload has read the document and its version count, then waits for its file.
      let started!: () => void;
      const reading = new Promise<void>((resolve) => (started = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      async function* slowParts(): AsyncIterable<UploadPart> {
        started();
        await released;
        yield { kind: 'file', fieldName: 'file', fileName: 'slow.pdf', stream: streamOf(pdfOfSize(2000)) };
      }
      async function* parts(): AsyncIterable<UploadPart> {
        yield { kind: 'file', fieldName: 'file', fileName: 'fast.pdf', stream: streamOf(pdfOfSize(3000)) };
      }
      const slow = fixture.service.documents.addVersion(principal, document.id, slowParts());
      await reading;
      expect(await fixture.service.documents.addVersion(principal, document.id, parts())).toMatchObject({ version: 2, fileName: 'fast.pdf' });
      release();
      await expect(slow).rejects.toMatchObject({ code: 'document.version_conflict' });
      expect((await versions(document.id)).map((version) => `${version.version} ${version.fileName}`)).toEqual(['2 fast.pdf', '1 facture.pdf']);
      expect(await keysUnder(`${ORG_A}/${building}/${document.id}`)).toHaveLength(2);
    });

    it('counts every version in the usage figures, trashes and restores the document with all its versions, reconciles every version', async () => {
      const building = await registerBuilding(fixture);
      // `other` has no legal retention: it can go to the trash today.
      const document = await upload(building, { type: 'other', content: pdfOfSize(1000) });
      await addVersion(document.id, pdfOfSize(2000), 'v2.pdf');
      await addVersion(document.id, pdfOfSize(4000), 'v3.pdf');
      const usage = async () => (await fixture.service.app.inject({ url: `/api/v1/buildings/${building}`, headers: auth })).json() as { documents: { count: number; bytes: number }; trash: { count: number; bytes: number } };
      expect(await usage()).toMatchObject({ documents: { count: 1, bytes: 7000 }, trash: { count: 0, bytes: 0 } });

      expect((await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${document.id}`, headers: auth })).statusCode).toBe(204);
      expect(await usage()).toMatchObject({ documents: { count: 0, bytes: 0 }, trash: { count: 1, bytes: 7000 } });
      // In the trash, the document and its versions are out of reach; nothing can be added to it.
      expect((await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions`, headers: auth })).statusCode).toBe(404);
      expect((await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/1/content`, headers: auth })).statusCode).toBe(404);
      expect((await postVersion(document.id, [{ name: 'file', fileName: 'v4.pdf', content: PDF }])).statusCode).toBe(404);

      const restored = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/restore`, headers: auth });
      expect(restored.statusCode, restored.body).toBe(200);
      expect((restored.json() as Document).size).toBe(4000);
      expect((await versions(document.id)).map((version) => version.size)).toEqual([4000, 2000, 1000]);
      for (const version of [1, 2, 3]) {
        expect((await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/versions/${version}/content`, headers: auth })).statusCode).toBe(200);
      }
      expect(await usage()).toMatchObject({ documents: { count: 1, bytes: 7000 } });

      // Every version's object is referenced; a missing old one is reported, without breaking the document.
      const report = await fixture.service.documents.reconcile({ fix: true, graceMs: 0 });
      const prefix = `${ORG_A}/${building}/${document.id}`;
      expect(report.orphanObjects.filter((key) => key.startsWith(prefix))).toEqual([]);
      const [, v2Key] = await keysUnder(prefix);
      await fixture.service.storage.delete(v2Key as string);
      const afterLoss = await fixture.service.documents.reconcile({ fix: true, graceMs: 0 });
      expect(afterLoss.missingObjects).toEqual([v2Key]);
      expect(((await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}`, headers: auth })).json() as Document).status).toBe('active');
    });

    it('purges a document with every version: all its objects and rows go', async () => {
      const building = await registerBuilding(fixture);
      // `other` has no legal retention: it can be purged.
      const document = await upload(building, { type: 'other' });
      await addVersion(document.id, pdfOfSize(3000), 'v2.pdf');
      const prefix = `${ORG_A}/${building}/${document.id}`;
      expect(await keysUnder(prefix)).toHaveLength(2);
      expect((await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${document.id}`, headers: auth })).statusCode).toBe(204);
      // The same database and storage, with a clock past the trash period: no waiting.
      const later = new DocumentService({
        db: fixture.service.db,
        storage: fixture.service.storage,
        audit: fixture.service.audit.log,
        allowedMimeTypes: new Set(['application/pdf']),
        maxUploadBytes: MAX_UPLOAD_BYTES,
        trashDays: fixture.config.trashDays,
        now: () => new Date(Date.now() + (fixture.config.trashDays + 1) * DAY_MS),
      });
      const result: unknown = await later.purge();
      // A count, or a report once retention keeps some (`kept`).
      expect([1, { purged: 1, kept: 0 }]).toContainEqual(result);
      expect(await keysUnder(prefix)).toEqual([]);
      const rows = await fixture.service.db.selectFrom('document_versions').select('version').where('document_id', '=', document.id).execute();
      expect(rows).toEqual([]);
      expect((await fixture.service.app.inject({ url: `/api/v1/buildings/${building}`, headers: auth })).json()).toMatchObject({ documents: { count: 0, bytes: 0 }, trash: { count: 0, bytes: 0 } });
    });
  });
}
