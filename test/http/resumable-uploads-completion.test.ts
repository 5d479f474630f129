import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { registerBuilding } from '../support/buildings.js';
import { IdempotencyStore } from '../../src/idempotency/idempotency-store.js';
import { ResumableUploadCompletions } from '../../src/uploads/resumable-upload-completions.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { sha256 } from '../support/streams.js';
import { cutPatch, metadataHeader, TUS } from '../support/tus-requests.js';
import { pdfOfSize } from '../support/upload-request.js';


for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`resumable uploads completed once, across instances, on ${pairName}`, () => {
    let first: ServiceFixture;
    let second: ServiceFixture;
    let syndic: string;

    beforeAll(async () => {
      first = await factory({ listen: true });
      second = await factory({ listen: true, shareWith: first });
      syndic = await first.token('syndic', { sub: 'syndic-1' });
    });
    afterAll(async () => {
      await second?.close();
      await first?.close();
    });

    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const on = (fixture: ServiceFixture, path: string) => `${fixture.baseUrl!}${path}`;

    async function created(length: number, fields: Record<string, string>): Promise<string> {
      const response = await fetch(on(first, '/api/v1/uploads'), { method: 'POST', headers: { ...TUS, ...bearer(syndic), 'upload-length': String(length), 'upload-metadata': metadataHeader(fields) } });
      expect(response.status, await response.clone().text()).toBe(201);
      return new URL(response.headers.get('location')!, on(first, '/api/v1/uploads')).pathname;
    }

    function patch(fixture: ServiceFixture, path: string, offset: number, bytes: Buffer): Promise<Response> {
      return fetch(on(fixture, path), { method: 'PATCH', headers: { ...TUS, ...bearer(syndic), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, body: bytes });
    }

    async function documentsOf(building: string): Promise<Document[]> {
      const response = await first.service.app.inject({ url: `/api/v1/buildings/${building}/documents`, headers: bearer(syndic) });
      expect(response.statusCode, response.body).toBe(200);
      return (response.json() as { items: Document[] }).items;
    }

    async function offsetOn(fixture: ServiceFixture, path: string): Promise<number> {
      const head = await fetch(on(fixture, path), { method: 'HEAD', headers: { ...TUS, ...bearer(syndic) } });
      expect(head.status).toBe(200);
      return Number(head.headers.get('upload-offset'));
    }

    it('a PATCH cut mid-way on one instance resumes on the other from the offset both hold; there a wrong Upload-Checksum and a body past the length keep nothing, and the document is whole', async () => {
      const building = await registerBuilding(first);
      // Past one 512 KiB write batch on local disk, so that the cut comes after bytes were written.
      const content = pdfOfSize(900_000);
      const path = await created(content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf', sha256: sha256(content) });
      await cutPatch(on(first, path), bearer(syndic), 0, content, 700_000);
      const held = await offsetOn(second, path);
      expect(await offsetOn(first, path)).toBe(held);
      // On local disk every byte received is kept; on S3 the part the cut PATCH streamed is aborted.
      if (first.config.storage.backend === 'local') expect(held).toBeGreaterThan(0);
      else expect(held).toBe(0);
      expect(held).toBeLessThanOrEqual(700_000);
      expect(await documentsOf(building)).toEqual([]);

      const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');
      const checked = (offset: number, bytes: Buffer, checksum: string) =>
        fetch(on(second, path), { method: 'PATCH', headers: { ...TUS, ...bearer(syndic), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'upload-checksum': checksum }, body: bytes });
      const next = content.subarray(held, 800_000);
      const corrupted = Buffer.from(next);
      corrupted.writeUInt8(corrupted.readUInt8(10) ^ 0xff, 10);
      const refused = await checked(held, corrupted, `sha256 ${digest(next)}`);
      expect(refused.status).toBe(460);
      expect(await refused.json()).toMatchObject({ code: 'upload.chunk_checksum_mismatch' });
      expect(await offsetOn(first, path)).toBe(held);
      const tooLong = await patch(second, path, held, Buffer.concat([content.subarray(held), Buffer.alloc(10)]));
      expect(tooLong.status).toBe(413);
      expect(await offsetOn(second, path)).toBe(held);

      expect((await checked(held, next, `sha256 ${digest(next)}`)).status).toBe(204);
      expect(await offsetOn(first, path)).toBe(800_000);
      const last = await patch(first, path, 800_000, content.subarray(800_000));
      expect(last.status, await last.clone().text()).toBe(204);
      const id = last.headers.get('docstore-document-id')!;
      const stored = await second.service.app.inject({ url: `/api/v1/documents/${id}/content`, headers: bearer(syndic) });
      expect(stored.statusCode).toBe(200);
      expect(stored.rawPayload.equals(content)).toBe(true);
    });

    it('the same final PATCH sent at once to two instances makes one document; HEAD then names it to its creator only', async () => {
      const building = await registerBuilding(first);
      const content = pdfOfSize(120_000);
      const path = await created(content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf', sha256: sha256(content) });
      expect((await patch(first, path, 0, content.subarray(0, 60_000))).status).toBe(204);
      const last = content.subarray(60_000);
      const answers = await Promise.all([patch(first, path, 60_000, last), patch(second, path, 60_000, last)]);
      const made = answers.filter((answer) => answer.status === 204);
      expect(made.length, (await Promise.all(answers.map((answer) => answer.clone().text()))).join(' | ')).toBeGreaterThanOrEqual(1);
      // The other one lost the race: offset conflict or completion in progress (409), the upload already
      // completed and its parts gone (404: HEAD names the document), or the same document back (204).
      for (const answer of answers) if (answer.status !== 204) expect([404, 409]).toContain(answer.status);
      const ids = new Set(made.map((answer) => answer.headers.get('docstore-document-id')));
      expect(ids.size).toBe(1);
      const [id] = [...ids];
      const documents = await documentsOf(building);
      expect(documents.map((document) => document.id)).toEqual([id]);

      for (const fixture of [first, second]) {
        const head = await fetch(on(fixture, path), { method: 'HEAD', headers: { ...TUS, ...bearer(syndic) } });
        expect(head.status).toBe(200);
        expect(head.headers.get('docstore-document-id')).toBe(id);
        expect(head.headers.get('docstore-document-version')).toBe('1');
        expect(head.headers.get('upload-offset')).toBe(String(content.length));
        const state = await fetch(on(fixture, path), { headers: bearer(syndic) });
        expect(await state.json()).toMatchObject({ offset: content.length, length: content.length, documentId: id, documentVersion: 1 });
      }
      for (const other of [await first.token('syndic', { sub: 'syndic-2' }), await first.token('syndic', { sub: 'syndic-1', org: ORG_B })]) {
        expect((await fetch(on(second, path), { method: 'HEAD', headers: { ...TUS, ...bearer(other) } })).status).toBe(404);
        const state = await fetch(on(second, path), { headers: bearer(other) });
        expect(state.status).toBe(404);
        expect(await state.json()).toMatchObject({ code: 'upload.not_found' });
      }
      // Retried once more after the end, the final PATCH makes nothing new.
      expect((await patch(second, path, 60_000, last)).status).toBe(404);
      expect(await documentsOf(building)).toHaveLength(1);
    });

    it('an instance that died mid-completion holds the upload for its lease only: then an empty PATCH at the end completes it, once', async () => {
      const building = await registerBuilding(first);
      const content = pdfOfSize(90_000);
      const path = await created(content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf', sha256: sha256(content) });
      const id = path.split('/').pop()!;
      expect((await patch(first, path, 0, content.subarray(0, 50_000))).status).toBe(204);
      // Another instance took the completion and died: its key is held, its lease running.
      const dead = new ResumableUploadCompletions(second.service.db, new IdempotencyStore(second.service.db));
      const claim = await dead.claim({ userId: 'syndic-1', organizationId: ORG_A, role: 'syndic', buildingIds: [] }, id);
      expect(claim.kind).toBe('claimed');
      if (claim.kind === 'claimed') dead.settled(claim.reservation);
      const last = await patch(first, path, 50_000, content.subarray(50_000));
      expect(last.status).toBe(409);
      expect(await last.json()).toMatchObject({ code: 'idempotency.in_progress' });
      const head = await fetch(on(second, path), { method: 'HEAD', headers: { ...TUS, ...bearer(syndic) } });
      expect([head.headers.get('upload-offset'), head.headers.get('docstore-document-id')]).toEqual([String(content.length), null]);
      expect((await patch(second, path, content.length, Buffer.alloc(0))).status).toBe(409);
      // The lease runs out (60 s, as if no renewal came): the empty PATCH at the end completes it.
      await first.service.db.updateTable('idempotency_keys').set({ locked_until: new Date(Date.now() - 1000).toISOString() }).where('idempotency_key', '=', `tus:${id}`).execute();
      const finished = await patch(second, path, content.length, Buffer.alloc(0));
      expect(finished.status, await finished.clone().text()).toBe(204);
      const documentId = finished.headers.get('docstore-document-id');
      expect((await documentsOf(building)).map((document) => document.id)).toEqual([documentId]);
      const read = await first.service.app.inject({ url: `/api/v1/documents/${documentId}/content`, headers: bearer(syndic) });
      expect(sha256(read.rawPayload)).toBe(sha256(content));
      expect((await patch(first, path, content.length, Buffer.alloc(0))).status).toBe(404);
      expect(await documentsOf(building)).toHaveLength(1);
    });

    it('a refused completion leaves no record: HEAD answers 404', async () => {
      const building = await registerBuilding(first);
      const content = pdfOfSize(30_000);
      const path = await created(content.length, { building, type: 'invoice', title: 'Facture', filename: 'f.pdf', sha256: sha256(pdfOfSize(29_999)) });
      const last = await patch(second, path, 0, content);
      expect(last.status).toBe(422);
      expect((await fetch(on(first, path), { method: 'HEAD', headers: { ...TUS, ...bearer(syndic) } })).status).toBe(404);
      expect(await documentsOf(building)).toEqual([]);
    });
  });
}
