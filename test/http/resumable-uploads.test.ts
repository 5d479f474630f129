import { createHash } from 'node:crypto';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { auditEntries, onlyEntry } from '../support/audit-entries.js';
import { registerBuilding } from '../support/buildings.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { sha256 } from '../support/streams.js';
import { cutPatch as cutPatchOf, metadataHeader, TUS } from '../support/tus-requests.js';
import { pdfOfSize } from '../support/upload-request.js';

const MAX_UPLOAD_BYTES = 6 * 1024 * 1024;

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`resumable uploads (tus) on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let baseUrl: string;
    let syndic: string;

    beforeAll(async () => {
      fixture = await factory({ listen: true, env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } });
      baseUrl = fixture.baseUrl!;
      syndic = await fixture.token('syndic', { sub: 'syndic-1' });
    });
    afterAll(async () => fixture?.close());

    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    async function create(token: string, length: number, fields: Record<string, string>): Promise<Response> {
      return fetch(`${baseUrl}/api/v1/uploads`, { method: 'POST', headers: { ...TUS, ...bearer(token), 'upload-length': String(length), 'upload-metadata': metadataHeader(fields) } });
    }

    async function created(token: string, length: number, fields: Record<string, string>): Promise<string> {
      const response = await create(token, length, fields);
      expect(response.status, await response.clone().text()).toBe(201);
      return new URL(response.headers.get('location')!, `${baseUrl}/api/v1/uploads`).href;
    }

    function patch(url: string, token: string, offset: number, bytes: Buffer): Promise<Response> {
      return fetch(url, { method: 'PATCH', headers: { ...TUS, ...bearer(token), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, body: bytes });
    }

    async function offsetOf(url: string, token = syndic): Promise<number> {
      const response = await fetch(url, { method: 'HEAD', headers: { ...TUS, ...bearer(token) } });
      expect(response.status).toBe(200);
      return Number(response.headers.get('upload-offset'));
    }

    async function documentsOf(building: string): Promise<Document[]> {
      const response = await fixture.service.app.inject({ url: `/api/v1/buildings/${building}/documents`, headers: bearer(syndic) });
      expect(response.statusCode, response.body).toBe(200);
      return (response.json() as { items: Document[] }).items;
    }

    async function contentOf(id: string): Promise<Buffer> {
      const response = await fixture.service.app.inject({ url: `/api/v1/documents/${id}/content`, headers: bearer(syndic) });
      expect(response.statusCode, response.body).toBe(200);
      return response.rawPayload;
    }

    const cutPatch = (url: string, offset: number, bytes: Buffer, sent: number) => cutPatchOf(url, bearer(syndic), offset, bytes, sent);

    it('5 MiB PATCHes (one S3 part each, streamed as received): one cut mid-way keeps no byte past the last whole chunk on S3, sent again it completes', async () => {
      const building = await registerBuilding(fixture);
      const part = 5 * 1024 * 1024;
      const content = pdfOfSize(part + 100_000);
      const url = await created(syndic, content.length, { building, type: 'invoice', title: 'Facture', filename: 'facture.pdf', sha256: sha256(content) });
      await cutPatch(url, 0, content.subarray(0, part), 3 * 1024 * 1024);
      const held = await offsetOf(url);
      if (fixture.config.storage.backend === 's3') expect(held).toBe(0);
      expect(held).toBeLessThanOrEqual(3 * 1024 * 1024);
      expect((await patch(url, syndic, held, content.subarray(held, part))).status).toBe(204);
      expect(await offsetOf(url)).toBe(part);
      const last = await patch(url, syndic, part, content.subarray(part));
      expect(last.status, await last.clone().text()).toBe(204);
      expect((await contentOf(last.headers.get('docstore-document-id')!)).equals(content)).toBe(true);
    });

    it('an upload cut at several offsets resumes from the offset the server holds (raw HTTP); nothing is a document before the last byte', async () => {
      const building = await registerBuilding(fixture);
      const content = pdfOfSize(200_000);
      const url = await created(syndic, content.length, { building, type: 'invoice', title: 'Facture', filename: 'facture.pdf', sha256: sha256(content) });
      for (const cut of [50_000, 120_000]) {
        const offset = await offsetOf(url);
        await cutPatch(url, offset, content.subarray(offset), cut - offset);
        const held = await offsetOf(url);
        // On local disk every byte received is kept; on S3 what was cut short of a part may be lost (then resumed from before it).
        if (fixture.config.storage.backend === 'local') expect(held).toBeGreaterThan(offset);
        else expect(held).toBeGreaterThanOrEqual(offset);
        expect(held).toBeLessThanOrEqual(cut);
        expect(await documentsOf(building)).toEqual([]);
      }
      const offset = await offsetOf(url);
      const stale = await patch(url, syndic, offset + 1, content.subarray(offset + 1));
      expect(stale.status).toBe(409);
      expect(await stale.json()).toMatchObject({ code: 'upload.offset_conflict' });
      const last = await patch(url, syndic, offset, content.subarray(offset));
      expect(last.status, await last.clone().text()).toBe(204);
      const id = last.headers.get('docstore-document-id')!;
      expect((await contentOf(id)).equals(content)).toBe(true);
      // The parts are gone once the document exists; HEAD names the document it became.
      const head = await fetch(url, { method: 'HEAD', headers: { ...TUS, ...bearer(syndic) } });
      expect(head.status).toBe(200);
      expect(head.headers.get('docstore-document-id')).toBe(id);
    });

    it('a chunk whose Upload-Checksum (sha256) does not match is refused (460) and nothing of it kept; re-sent, it is accepted', async () => {
      const options = await fetch(`${baseUrl}/api/v1/uploads`, { method: 'OPTIONS', headers: TUS });
      expect(options.headers.get('tus-extension')).toContain('checksum');
      expect(options.headers.get('tus-checksum-algorithm')).toBe('sha256');
      const building = await registerBuilding(fixture);
      const content = pdfOfSize(100_000);
      const url = await created(syndic, content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf', sha256: sha256(content) });
      const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');
      const checked = (offset: number, bytes: Buffer, checksum: string) =>
        fetch(url, { method: 'PATCH', headers: { ...TUS, ...bearer(syndic), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'upload-checksum': checksum }, body: bytes });
      expect((await checked(0, content.subarray(0, 40_000), `sha256 ${digest(content.subarray(0, 40_000))}`)).status).toBe(204);
      const second = content.subarray(40_000, 80_000);
      const corrupted = Buffer.from(second);
      corrupted.writeUInt8(corrupted.readUInt8(100) ^ 0xff, 100);
      const refused = await checked(40_000, corrupted, `sha256 ${digest(second)}`);
      expect(refused.status).toBe(460);
      expect(await refused.json()).toMatchObject({ code: 'upload.chunk_checksum_mismatch' });
      expect(await offsetOf(url)).toBe(40_000);
      const unsupported = await checked(40_000, second, `md5 ${createHash('md5').update(second).digest('base64')}`);
      expect(unsupported.status).toBe(400);
      expect(await unsupported.json()).toMatchObject({ code: 'upload.checksum_unsupported' });
      expect(await offsetOf(url)).toBe(40_000);
      expect((await checked(40_000, second, `sha256 ${digest(second)}`)).status).toBe(204);
      expect(await offsetOf(url)).toBe(80_000);
      const last = await checked(80_000, content.subarray(80_000), `sha256 ${digest(content.subarray(80_000))}`);
      expect(last.status, await last.clone().text()).toBe(204);
      expect((await contentOf(last.headers.get('docstore-document-id')!)).equals(content)).toBe(true);
    });

    it('a creation carrying data (creation-with-upload) with a wrong Upload-Checksum is refused (460) and creates nothing; with the right one it is accepted', async () => {
      const building = await registerBuilding(fixture);
      const content = pdfOfSize(60_000);
      const first = content.subarray(0, 25_000);
      const digest = createHash('sha256').update(first).digest('base64');
      const corrupted = Buffer.from(first);
      corrupted.writeUInt8(corrupted.readUInt8(500) ^ 0xff, 500);
      const createWith = (bytes: Buffer, checksum: string) =>
        fetch(`${baseUrl}/api/v1/uploads`, {
          method: 'POST',
          headers: { ...TUS, ...bearer(syndic), 'upload-length': String(content.length), 'upload-metadata': metadataHeader({ building, type: 'invoice', title: 'Facture', filename: 'f.pdf' }), 'content-type': 'application/offset+octet-stream', 'upload-checksum': checksum },
          body: bytes,
        });
      const refused = await createWith(corrupted, `sha256 ${digest}`);
      expect(refused.status).toBe(460);
      expect(refused.headers.get('location')).toBeNull();
      expect(await refused.json()).toMatchObject({ code: 'upload.chunk_checksum_mismatch' });
      const unsupported = await createWith(first, `md5 ${createHash('md5').update(first).digest('base64')}`);
      expect(unsupported.status).toBe(400);
      expect(await unsupported.json()).toMatchObject({ code: 'upload.checksum_unsupported' });
      const accepted = await createWith(first, `sha256 ${digest}`);
      expect(accepted.status, await accepted.clone().text()).toBe(201);
      expect(accepted.headers.get('upload-offset')).toBe(String(first.length));
      const url = new URL(accepted.headers.get('location')!, `${baseUrl}/api/v1/uploads`).href;
      const last = await patch(url, syndic, first.length, content.subarray(first.length));
      expect(last.status, await last.clone().text()).toBe(204);
      expect((await contentOf(last.headers.get('docstore-document-id')!)).equals(content)).toBe(true);
      expect(await documentsOf(building)).toHaveLength(1);
    });

    it('a new version through documentId is recorded as document.version_add', async () => {
      const building = await registerBuilding(fixture);
      const first = pdfOfSize(10_000);
      const document = await fixture.service.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...TUS, ...bearer(syndic), 'upload-length': String(first.length), 'upload-metadata': metadataHeader({ building, type: 'contract', title: 'Contrat', filename: 'v1.pdf' }), 'content-type': 'application/offset+octet-stream' }, payload: first });
      expect(document.statusCode, document.body).toBe(201);
      const id = document.headers['docstore-document-id'] as string;
      const second = pdfOfSize(20_000);
      const url = await created(syndic, second.length, { documentId: id, filename: 'v2.pdf', sha256: sha256(second) });
      const last = await patch(url, syndic, 0, second);
      expect(last.status, await last.clone().text()).toBe(204);
      expect(last.headers.get('docstore-document-version')).toBe('2');
      expect((await contentOf(id)).equals(second)).toBe(true);
      expect(onlyEntry(await auditEntries(fixture.service.db, { documentId: id }), 'document.version_add')).toBeDefined();
    });

    it("a contract's contractEndDate travels in Upload-Metadata: its retention counts from it; checked as a multipart upload's", async () => {
      const building = await registerBuilding(fixture);
      const content = pdfOfSize(20_000);
      const fields = { building, type: 'contract', title: 'Contrat de chauffage', filename: 'chauffage.pdf', documentDate: '2026-01-15' };
      const url = await created(syndic, content.length, { ...fields, contractEndDate: '2027-09-30', sha256: sha256(content) });
      const last = await patch(url, syndic, 0, content);
      expect(last.status, await last.clone().text()).toBe(204);
      const read = await fixture.service.app.inject({ url: `/api/v1/documents/${last.headers.get('docstore-document-id')}`, headers: bearer(syndic) });
      expect(read.json()).toMatchObject({ contractEndDate: '2027-09-30', documentDate: '2026-01-15', retention: { retainUntil: '2037-09-30', basis: 'contract_end' } });
      for (const contractEndDate of ['2027-02-30', '30/09/2027']) {
        const refused = await create(syndic, content.length, { ...fields, contractEndDate });
        expect(refused.status).toBe(400);
        expect(await refused.json()).toMatchObject({ code: 'documents.invalid_input', detail: expect.stringContaining('contractEndDate') });
      }
      const version = await create(syndic, content.length, { documentId: last.headers.get('docstore-document-id')!, filename: 'v2.pdf', contractEndDate: '2028-01-01' });
      expect(version.status).toBe(400);
      expect(await version.json()).toMatchObject({ code: 'documents.invalid_input', detail: expect.stringContaining('contractEndDate') });
      expect((await documentsOf(building)).map((document) => document.contractEndDate)).toEqual(['2027-09-30']);
    });

    it('a wrong whole-file SHA-256 stores nothing (422 upload.checksum_mismatch) and removes the parts', async () => {
      const building = await registerBuilding(fixture);
      const content = pdfOfSize(100_000);
      const url = await created(syndic, content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf', sha256: sha256(pdfOfSize(99_999)) });
      const last = await patch(url, syndic, 0, content);
      expect(last.status).toBe(422);
      expect(last.headers.get('content-type')).toContain('application/problem+json');
      expect(await last.json()).toMatchObject({ code: 'upload.checksum_mismatch' });
      expect(await documentsOf(building)).toEqual([]);
      const keys: string[] = [];
      for await (const entry of fixture.service.storage.list({ prefix: `${ORG_A}/${building}/` })) if (entry.kind === 'object') keys.push(entry.key);
      expect(keys).toEqual([]);
      expect((await fetch(url, { method: 'HEAD', headers: { ...TUS, ...bearer(syndic) } })).status).toBe(404);
    });

    it("another user's token can neither continue, read nor delete an upload (404 upload.not_found)", async () => {
      const building = await registerBuilding(fixture);
      const content = pdfOfSize(50_000);
      const url = await created(syndic, content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf' });
      expect((await patch(url, syndic, 0, content.subarray(0, 10_000))).status).toBe(204);
      for (const other of [await fixture.token('syndic', { sub: 'syndic-2' }), await fixture.token('syndic', { sub: 'syndic-1', org: ORG_B })]) {
        const continued = await patch(url, other, 10_000, content.subarray(10_000));
        expect(continued.status).toBe(404);
        expect(await continued.json()).toMatchObject({ code: 'upload.not_found' });
        expect((await fetch(url, { method: 'DELETE', headers: { ...TUS, ...bearer(other) } })).status).toBe(404);
        expect((await fetch(url, { headers: bearer(other) })).status).toBe(404);
      }
      expect((await fetch(url, { headers: bearer(syndic) })).status).toBe(200);
      expect(await offsetOf(url)).toBe(10_000);
      expect((await fetch(url, { method: 'PATCH', headers: { ...TUS, 'upload-offset': '10000', 'content-type': 'application/offset+octet-stream' }, body: content.subarray(10_000) })).status).toBe(401);
      const deleted = await fetch(url, { method: 'DELETE', headers: { ...TUS, ...bearer(syndic) } });
      expect(deleted.status).toBe(204);
      expect((await fetch(url, { method: 'HEAD', headers: { ...TUS, ...bearer(syndic) } })).status).toBe(404);
    });

    it('refuses at creation what a multipart upload refuses: an owner, a type the role may not upload, an unknown building, an over-size Upload-Length', async () => {
      const building = await registerBuilding(fixture);
      const fields = { building, type: 'invoice', title: 'Facture', filename: 'f.pdf' };
      const owner = await fixture.token('owner', { buildings: [building] });
      expect((await create(owner, 1000, fields)).status).toBe(403);
      const accountant = await fixture.token('accountant');
      const forbiddenType = await create(accountant, 1000, { ...fields, type: 'minutes' });
      expect([403, 400]).toContain(forbiddenType.status);
      const unknown = await create(syndic, 1000, { ...fields, building: '0190a000-0000-7000-8000-0000000000ff' });
      expect(unknown.status).toBe(404);
      // No origin is allowed: no CORS header (tus alone would answer `Access-Control-Allow-Origin: *`).
      const fromElsewhere = await fetch(`${baseUrl}/api/v1/uploads`, { method: 'POST', headers: { ...TUS, ...bearer(syndic), origin: 'https://app.example.be', 'upload-length': '1000', 'upload-metadata': metadataHeader(fields) } });
      expect(fromElsewhere.status).toBe(201);
      expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${baseUrl}/api/v1/uploads`, { method: 'OPTIONS', headers: { origin: 'https://app.example.be', 'access-control-request-method': 'POST' } });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const tooLarge = await create(syndic, MAX_UPLOAD_BYTES + 1, fields);
      expect(tooLarge.status).toBe(413);
      expect(await tooLarge.json()).toMatchObject({ code: 'upload.too_large' });
      const missing = await create(syndic, 1000, { building, filename: 'f.pdf' });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({ code: 'documents.invalid_input' });
    });

    it('a renamed executable is refused at completion (415 upload.unsupported_content), nothing stored', async () => {
      const building = await registerBuilding(fixture);
      const executable = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(8000, 0x90)]);
      const url = await created(syndic, executable.length, { building, type: 'invoice', title: 'Facture', filename: 'facture.pdf' });
      const last = await patch(url, syndic, 0, executable);
      expect(last.status).toBe(415);
      expect(await last.json()).toMatchObject({ code: 'upload.unsupported_content' });
      expect(await documentsOf(building)).toEqual([]);
    });
  });
}
