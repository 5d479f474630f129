import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportJob } from '../../src/handover/export-jobs.js';
import { registerBuilding } from '../support/buildings.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix } from '../support/streams.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`handover API on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let buildingId: string;
    const documentIds: string[] = [];

    beforeAll(async () => {
      // An installation of its own under the shared test bucket: `reconcile --fix` below sees only its objects.
      fixture = await factory({ listen: true, ...(pairName.startsWith('S3') ? { env: { S3_KEY_PREFIX: `handover-api-${randomPrefix()}/` } } : {}) });
      buildingId = await registerBuilding(fixture, { name: 'Résidence Atrium' });
      const auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
      for (let index = 0; index < 3; index++) {
        const { payload, headers } = documentUpload({ type: 'invoice', title: `Facture ${index}`, content: pdfOfSize(50_000 + index) });
        const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, ...auth } });
        expect(response.statusCode, response.body).toBe(201);
        documentIds.push((response.json() as { id: string }).id);
      }
    });
    afterAll(async () => fixture?.close());

    it('refuses an export while the organisation has no signing key (409), and to owners and accountants (403)', async () => {
      const syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const refused = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports`, payload: {}, headers: syndic });
      expect(refused.statusCode, refused.body).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'handover.key_invalid' });
      await fixture.service.handover.keys.create(ORG_A, 'Syndic Atrium');
      for (const role of ['accountant', 'owner'] as const) {
        const token = await fixture.token(role, { buildings: [buildingId] });
        const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports`, payload: {}, headers: { authorization: `Bearer ${token}` } });
        expect(response.statusCode, `${role}: ${response.body}`).toBe(403);
      }
      const otherOrganization = await fixture.token('syndic', { org: ORG_B });
      const hidden = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports`, payload: {}, headers: { authorization: `Bearer ${otherOrganization}` } });
      expect(hidden.statusCode).toBe(404);
    });

    it('gives the organisation’s public key to its syndics only', async () => {
      const url = `/api/v1/organizations/${ORG_A}/handover-key`;
      const mine = await fixture.service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(mine.statusCode, mine.body).toBe(200);
      const body = mine.json() as { fingerprint: string; publicKey: string };
      expect(body.publicKey).toContain('BEGIN PGP PUBLIC KEY BLOCK');
      expect(body.publicKey).not.toContain('PRIVATE');
      expect(body.fingerprint).toMatch(/^[0-9A-F]{40}$/);
      const other = await fixture.service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await fixture.token('syndic', { org: ORG_B })}` } });
      expect(other.statusCode).toBe(404);
      const owner = await fixture.service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await fixture.token('owner', { buildings: [buildingId] })}` } });
      expect(owner.statusCode).toBe(403);
    });

    it('runs an export job whose archive is downloaded through a link', async () => {
      const syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const started = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports`, payload: { includeTrash: false }, headers: syndic });
      expect(started.statusCode, started.body).toBe(202);
      const job = started.json() as ExportJob;
      expect(started.headers.location).toBe(`/api/v1/buildings/${buildingId}/exports/${job.id}`);
      await fixture.service.handover.jobs.settled();
      const ready = (await fixture.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${buildingId}/exports/${job.id}`, headers: syndic })).json() as ExportJob;
      expect(ready).toMatchObject({ status: 'ready', documents: 3, versions: 3, error: null });
      const list = (await fixture.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${buildingId}/exports`, headers: syndic })).json() as { items: ExportJob[] };
      expect(list.items.map((item) => item.id)).toContain(job.id);
      const link = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports/${job.id}/download-url`, payload: {}, headers: syndic });
      expect(link.statusCode, link.body).toBe(200);
      const response = await fetch((link.json() as { url: string }).url);
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.length).toBe(ready.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(ready.sha256);
      expect(bytes.subarray(0, 4).toString('hex')).toBe('504b0304');
      // An export's archive has no document row, yet it is no orphan for `reconcile --fix`.
      const report = await fixture.service.documents.reconcile({ fix: true, graceMs: 0 });
      expect(report.orphanObjects.filter((key) => key.includes(job.id))).toEqual([]);
      expect((await fetch((link.json() as { url: string }).url)).status).toBe(200);
      const removed = await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/buildings/${buildingId}/exports/${job.id}`, headers: syndic });
      expect(removed.statusCode, removed.body).toBe(204);
      const gone = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${buildingId}/exports/${job.id}`, headers: syndic });
      expect(gone.statusCode).toBe(404);
      let archives = 0;
      for await (const entry of fixture.service.storage.list({ prefix: '.docstore-exports/' })) if (entry.kind === 'object' && entry.key.includes(job.id)) archives++;
      expect(archives).toBe(0);
    });

    it('moves a building to another organisation (superadmin only): the old one loses access at once, the new one gains it', async () => {
      const oldSyndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const newSyndic = { authorization: `Bearer ${await fixture.token('syndic', { org: ORG_B })}` };
      const document = documentIds[0]!;
      expect((await fixture.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document}`, headers: oldSyndic })).statusCode).toBe(200);
      expect((await fixture.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document}`, headers: newSyndic })).statusCode).toBe(404);

      const bySyndic = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/transfer`, payload: { organizationId: ORG_B }, headers: oldSyndic });
      expect(bySyndic.statusCode).toBe(403);
      const superadmin = { authorization: `Bearer ${await fixture.token('superadmin')}` };
      const moved = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/transfer`, payload: { organizationId: ORG_B }, headers: superadmin });
      expect(moved.statusCode, moved.body).toBe(200);
      expect(moved.json()).toMatchObject({ buildingId, fromOrganizationId: ORG_A, toOrganizationId: ORG_B, documents: 3 });

      for (const url of [`/api/v1/documents/${document}`, `/api/v1/documents/${document}/content`, `/api/v1/buildings/${buildingId}`, `/api/v1/buildings/${buildingId}/documents`]) {
        expect((await fixture.service.app.inject({ method: 'GET', url, headers: oldSyndic })).statusCode, url).toBe(404);
        expect((await fixture.service.app.inject({ method: 'GET', url, headers: newSyndic })).statusCode, url).toBe(200);
      }
      const content = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document}/content`, headers: newSyndic });
      expect(content.rawPayload.length).toBe(50_000);
      const again = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/transfer`, payload: { organizationId: ORG_B }, headers: superadmin });
      expect(again.statusCode).toBe(409);
    });
  });
}
