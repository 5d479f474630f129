import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { ORG_A, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { documentUpload, multipartBody, pdfOfSize } from '../support/upload-request.js';
import { sha256 } from '../support/streams.js';
import { auditEntries, onlyEntry } from '../support/audit-entries.js';

/** Every read through the API or a signed link is recorded before its first byte; a read that cannot be recorded is not served. */
for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`audit trail of reads on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let headers: Record<string, string>;
    const content = pdfOfSize(4096);

    beforeAll(async () => {
      fixture = await factory();
      headers = { authorization: `Bearer ${await fixture.token('owner', { sub: 'owner-3', buildings: [] })}` };
    });
    afterAll(async () => fixture?.close());

    /** A building the owner reads, with one document of two versions (`content` is version 2). */
    async function documentOfTwoVersions(): Promise<{ building: string; document: Document; ownerHeaders: Record<string, string> }> {
      const building = await registerBuilding(fixture);
      const syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const { payload, headers: form } = documentUpload({ type: 'other' });
      const uploaded = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...form, ...syndic } });
      expect(uploaded.statusCode, uploaded.body).toBe(201);
      const document = uploaded.json() as Document;
      const second = multipartBody([{ name: 'file', fileName: 'v2.pdf', content }]);
      const added = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/versions`, payload: second.payload, headers: { ...second.headers, ...syndic } });
      expect(added.statusCode, added.body).toBe(201);
      const ownerHeaders = { authorization: `Bearer ${await fixture.token('owner', { sub: 'owner-3', buildings: [building] })}`, 'user-agent': 'reader/2' };
      return { building, document, ownerHeaders };
    }

    const reads = async (documentId: string) => (await auditEntries(fixture.service.db, { documentId })).filter((entry) => !['document.upload', 'document.version_add'].includes(entry.action));

    it('download, range, preview and a version’s read: one entry each, with the version read; a 304 sends nothing and records nothing', async () => {
      const { building, document, ownerHeaders } = await documentOfTwoVersions();
      const get = (url: string, extra: Record<string, string> = {}) => fixture.service.app.inject({ url, headers: { ...ownerHeaders, ...extra } });
      const whole = await get(`/api/v1/documents/${document.id}/content`, { 'x-request-id': 'read-whole-1' });
      expect(whole.statusCode).toBe(200);
      expect(sha256(whole.rawPayload)).toBe(sha256(content));
      expect((await get(`/api/v1/documents/${document.id}/content`, { range: 'bytes=10-19' })).statusCode).toBe(206);
      expect((await get(`/api/v1/documents/${document.id}/content?disposition=inline`)).statusCode).toBe(200);
      expect((await get(`/api/v1/documents/${document.id}/versions/1/content`)).statusCode).toBe(200);
      expect((await get(`/api/v1/documents/${document.id}/content`, { 'if-none-match': `"${sha256(content)}"` })).statusCode).toBe(304);

      const entries = await reads(document.id);
      expect(entries.map((entry) => [entry.action, entry.version, entry.details])).toEqual([
        ['document.download', 2, { disposition: 'attachment' }],
        ['document.download', 2, { disposition: 'attachment', range: { start: 10, end: 19 } }],
        ['document.preview', 2, { disposition: 'inline' }],
        ['document.download', 1, { disposition: 'attachment' }],
      ]);
      for (const entry of entries) {
        expect(entry).toMatchObject({ organizationId: ORG_A, buildingId: building, documentId: document.id, outcome: 'success', actor: { kind: 'user', subject: 'owner-3', role: 'owner' }, clientAddress: '127.0.0.1', userAgent: 'reader/2' });
      }
      expect(entries[0]?.requestId).toBe('read-whole-1');
    });

    it('a signed link: its issue is recorded, and its use, served by docstore whatever the storage, with the version and the range', async () => {
      const { document, ownerHeaders } = await documentOfTwoVersions();
      const issue = async (url: string, disposition: 'attachment' | 'inline') => {
        const response = await fixture.service.app.inject({ method: 'POST', url, payload: { expiresInSeconds: 60, disposition }, headers: ownerHeaders });
        expect(response.statusCode, response.body).toBe(200);
        const link = new URL((response.json() as { url: string }).url);
        // Never the bucket's own link: docstore serves it, so that its use is recorded and checked.
        expect(link.pathname).toMatch(/^\/api\/v1\/signed\//);
        return `${link.pathname}${link.search}`;
      };
      const current = await issue(`/api/v1/documents/${document.id}/download-url`, 'attachment');
      const first = await issue(`/api/v1/documents/${document.id}/versions/1/download-url`, 'inline');
      const used = await fixture.service.app.inject({ url: current, headers: { 'user-agent': 'mail-client/1', 'x-request-id': 'link-use-1' } });
      expect(used.statusCode).toBe(200);
      expect(sha256(used.rawPayload)).toBe(sha256(content));
      expect((await fixture.service.app.inject({ url: first, headers: { range: 'bytes=0-3' } })).statusCode).toBe(206);

      const entries = await reads(document.id);
      expect(entries.map((entry) => [entry.action, entry.version, entry.actor.kind, entry.details])).toEqual([
        ['document.link_issue', 2, 'user', { disposition: 'attachment', expiresAt: expect.any(String) }],
        ['document.link_issue', 1, 'user', { disposition: 'inline', expiresAt: expect.any(String) }],
        ['document.link_use', 2, 'link', { disposition: 'attachment' }],
        ['document.link_use', 1, 'link', { disposition: 'inline', range: { start: 0, end: 3 } }],
      ]);
      expect(entries[0]).toMatchObject({ actor: { subject: 'owner-3', role: 'owner' }, userAgent: 'reader/2' });
      expect(entries[2]).toMatchObject({ actor: { kind: 'link', subject: null, role: null }, requestId: 'link-use-1', userAgent: 'mail-client/1', clientAddress: '127.0.0.1', organizationId: ORG_A });
    });
  });

  describe(`a read or change that cannot be recorded on ${pairName}`, () => {
    let fixture: ServiceFixture;

    // A throwaway installation whose audit table goes away mid-test.
    beforeAll(async () => {
      fixture = await factory();
    });
    afterAll(async () => {
      await sql`alter table audit_entries_gone rename to audit_entries`.execute(fixture.service.db).catch(() => undefined);
      await fixture?.close();
    });

    it('fails: a download answers 5xx and sends no byte of the document; an upload leaves no document; a link is not given', async () => {
      const building = await registerBuilding(fixture);
      const syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const marker = Buffer.from(`unrecorded-${randomUUID()}`);
      const body = Buffer.concat([pdfOfSize(3000), marker]);
      const { payload, headers: form } = documentUpload({ type: 'other', content: body });
      const uploaded = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...form, ...syndic } });
      expect(uploaded.statusCode, uploaded.body).toBe(201);
      const document = uploaded.json() as Document;
      const link = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/download-url`, payload: {}, headers: syndic });
      expect(link.statusCode, link.body).toBe(200);
      const linkPath = new URL((link.json() as { url: string }).url).pathname;

      await sql`alter table audit_entries rename to audit_entries_gone`.execute(fixture.service.db);

      for (const [url, extra] of [[`/api/v1/documents/${document.id}/content`, {}], [`/api/v1/documents/${document.id}/content`, { range: 'bytes=3000-' }], [`/api/v1/documents/${document.id}/versions/1/content`, {}], [linkPath, {}]] as const) {
        const read = await fixture.service.app.inject({ url, headers: { ...(url === linkPath ? {} : syndic), ...extra } });
        expect(read.statusCode, `${url}: ${read.body}`).toBeGreaterThanOrEqual(500);
        expect(read.headers['content-type']).toBe('application/problem+json');
        expect(read.rawPayload.includes(marker)).toBe(false);
        expect(read.rawPayload.includes(Buffer.from('%PDF'))).toBe(false);
      }
      const refusedLink = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/download-url`, payload: {}, headers: syndic });
      expect(refusedLink.statusCode).toBeGreaterThanOrEqual(500);
      expect(refusedLink.body).not.toContain('/signed/');

      const second = documentUpload({ type: 'other', title: 'Jamais enregistrée' });
      const refused = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload: second.payload, headers: { ...second.headers, ...syndic } });
      expect(refused.statusCode, refused.body).toBeGreaterThanOrEqual(500);
      const rows = await fixture.service.db.selectFrom('documents').select('id').where('building_id', '=', building).execute();
      expect(rows.map((row) => row.id)).toEqual([document.id]);
      const objects: string[] = [];
      for await (const entry of fixture.service.storage.list({ prefix: `${ORG_A}/${building}/` })) if (entry.kind === 'object') objects.push(entry.key);
      expect(objects).toEqual([`${ORG_A}/${building}/${document.id}`]);

      // A delete and an edit that cannot be recorded do not happen.
      expect((await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${document.id}`, headers: syndic })).statusCode).toBeGreaterThanOrEqual(500);
      expect((await fixture.service.app.inject({ method: 'PATCH', url: `/api/v1/documents/${document.id}`, payload: { title: 'Changé' }, headers: syndic })).statusCode).toBeGreaterThanOrEqual(500);
      const row = await fixture.service.db.selectFrom('documents').select(['deleted_at', 'title']).where('id', '=', document.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ deleted_at: null, title: document.title });
    });
  });
}
