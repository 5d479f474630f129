import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildingSummary } from '../../src/shared/building.js';
import type { Document } from '../../src/shared/document.js';
import { registerBuilding } from '../support/buildings.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`buildings, caller and overview API on ${pairName}`, () => {
    let fixture: ServiceFixture;
    // Ids in reverse order of the names, so that the listing's order is the names'.
    const [a3, a2, a1] = [randomUUID(), randomUUID(), randomUUID()].sort() as [string, string, string];
    const b1 = randomUUID();

    async function call(token: string, url: string, method: 'GET' | 'POST' | 'DELETE' = 'GET') {
      return fixture.service.app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });
    }

    async function upload(token: string, buildingId: string, size: number, type = 'invoice'): Promise<Document> {
      const { payload, headers } = documentUpload({ type, content: pdfOfSize(size) });
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, authorization: `Bearer ${token}` } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as Document;
    }

    async function buildingsOf(token: string, query = ''): Promise<{ items: BuildingSummary[]; nextCursor: string | null }> {
      const response = await call(token, `/api/v1/buildings${query}`);
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as { items: BuildingSummary[]; nextCursor: string | null };
    }

    beforeAll(async () => {
      fixture = await factory();
      // Case and accents do not change the order: Avenue < Écoles < résidence < Rue.
      await registerBuilding(fixture, { id: a1, name: 'Avenue des Tilleuls 12', address: { street: 'Avenue des Tilleuls 12', postalCode: '1180', city: 'Uccle' } });
      await registerBuilding(fixture, { id: a2, name: 'Écoles 3' });
      await registerBuilding(fixture, { id: a3, name: 'résidence Parc' });
      await registerBuilding(fixture, { id: b1, name: 'Rue Haute 1', org: ORG_B });
      const syndicA = await fixture.token('syndic');
      const syndicB = await fixture.token('syndic', { org: ORG_B });
      await upload(syndicA, a1, 1000);
      await upload(syndicA, a1, 2000, 'contract');
      const trashed = await upload(syndicA, a1, 4000, 'other');
      expect((await call(syndicA, `/api/v1/documents/${trashed.id}`, 'DELETE')).statusCode).toBe(204);
      await upload(syndicA, a2, 300);
      await upload(syndicA, a3, 500);
      await upload(syndicB, b1, 7000);
    });
    afterAll(async () => fixture?.close());

    it('a syndic sees its organisation’s buildings by name, live documents and trash counted apart', async () => {
      const page = await buildingsOf(await fixture.token('syndic'));
      expect(page.items.map((b) => b.id)).toEqual([a1, a2, a3]);
      expect(page.nextCursor).toBeNull();
      expect(page.items[0]).toEqual({
        id: a1,
        organizationId: ORG_A,
        name: 'Avenue des Tilleuls 12',
        address: { street: 'Avenue des Tilleuls 12', postalCode: '1180', city: 'Uccle', country: 'BE' },
        externalReference: null,
        financialYearEnd: { month: 12, day: 31 },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        documents: { count: 2, bytes: 3000 },
        trash: { count: 1, bytes: 4000 },
        permissions: {
          read: true,
          upload: true,
          edit: true,
          delete: true,
          restore: true,
          trash: true,
          uploadTypes: ['meeting_minutes', 'financial_statement', 'invoice', 'contract', 'regulation', 'basic_deed', 'works_quote', 'owner_document', 'other'],
          manage: true,
        },
      });
    });

    it('an accountant may upload accounting types only; it cannot delete', async () => {
      const page = await buildingsOf(await fixture.token('accountant'));
      expect(page.items.map((b) => b.id)).toEqual([a1, a2, a3]);
      expect(page.items[0]?.permissions).toEqual({ read: true, upload: true, edit: true, delete: false, restore: false, trash: false, uploadTypes: ['financial_statement', 'invoice'], manage: false });
    });

    it('an owner sees only the buildings of its token that belong to its organisation, read-only', async () => {
      const page = await buildingsOf(await fixture.token('owner', { buildings: [a2, b1, randomUUID()] }));
      expect(page.items.map((b) => b.id)).toEqual([a2]);
      expect(page.items[0]?.permissions).toEqual({ read: true, upload: false, edit: false, delete: false, restore: false, trash: false, uploadTypes: [], manage: false });
      expect(page.items[0]?.name).toBe('Écoles 3');
      expect((await buildingsOf(await fixture.token('board_member'))).items).toEqual([]);
    });

    it('a superadmin sees every organisation’s buildings', async () => {
      const page = await buildingsOf(await fixture.token('superadmin'));
      expect(page.items.map((b) => b.id).sort()).toEqual([a1, a2, a3, b1].sort());
      expect(page.items.find((b) => b.id === b1)).toMatchObject({ organizationId: ORG_B, documents: { count: 1, bytes: 7000 } });
    });

    it('pages with a cursor; a foreign or broken cursor is a 400', async () => {
      const token = await fixture.token('syndic');
      const first = await buildingsOf(token, '?limit=2');
      expect(first.items.map((b) => b.id)).toEqual([a1, a2]);
      expect(first.nextCursor).not.toBeNull();
      const second = await buildingsOf(token, `?limit=2&cursor=${first.nextCursor}`);
      expect(second.items.map((b) => b.id)).toEqual([a3]);
      expect(second.nextCursor).toBeNull();
      const documentCursor = Buffer.from(JSON.stringify({ v: 1, b: a1, t: null, q: null, d: false, c: new Date().toISOString(), i: a1 })).toString('base64url');
      for (const cursor of ['%%%', documentCursor]) {
        const response = await call(token, `/api/v1/buildings?cursor=${cursor}`);
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ code: 'building.invalid_cursor' });
      }
      expect((await call(token, '/api/v1/buildings?limit=0')).json()).toMatchObject({ status: 400, code: 'request.invalid' });
    });

    it('needs a valid token', async () => {
      const response = await fixture.service.app.inject({ url: '/api/v1/buildings' });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ code: 'auth.missing_token' });
    });

    it('GET /me tells the caller who the token says it is, and the upload limit', async () => {
      const response = await call(await fixture.token('owner', { sub: 'olivia', buildings: [a2] }), '/api/v1/me');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ userId: 'olivia', organizationId: ORG_A, role: 'owner', buildingIds: [a2], limits: { maxUploadBytes: fixture.config.maxUploadBytes, allowedMimeTypes: fixture.config.allowedMimeTypes, trashDays: fixture.config.trashDays } });
    });

    it('the overview gives superadmins the backend, health and counts by type; others get 403', async () => {
      const response = await call(await fixture.token('superadmin'), '/api/v1/admin/overview');
      expect(response.statusCode, response.body).toBe(200);
      const overview = response.json() as { storage: unknown; database: unknown; documents: { byType: Array<{ type: string }>; total: unknown; trash: unknown } };
      expect(overview.storage).toEqual({ backend: fixture.config.storage.backend, status: 'ok' });
      expect(overview.database).toEqual({ status: 'ok' });
      expect([...overview.documents.byType].sort((x, y) => x.type.localeCompare(y.type))).toEqual([
        { type: 'contract', count: 1, bytes: 2000 },
        { type: 'invoice', count: 4, bytes: 1000 + 300 + 500 + 7000 },
      ]);
      expect(overview.documents.total).toEqual({ count: 5, bytes: 10_800 });
      expect(overview.documents.trash).toEqual({ count: 1, bytes: 4000 });
      for (const role of ['syndic', 'accountant', 'owner'] as const) {
        const refused = await call(await fixture.token(role), '/api/v1/admin/overview');
        expect(refused.statusCode).toBe(403);
        expect(refused.json()).toMatchObject({ code: 'auth.forbidden' });
      }
    });

    it('the OpenAPI document describes the new routes with their response schemas', async () => {
      const spec = (await fixture.service.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, { get?: { responses: Record<string, unknown> } }> };
      for (const path of ['/api/v1/buildings', '/api/v1/me', '/api/v1/admin/overview']) {
        expect(Object.keys(spec.paths[path]?.get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403']));
      }
    });
  });
}
