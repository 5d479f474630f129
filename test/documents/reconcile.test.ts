import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { ORG_A, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { documentUpload } from '../support/upload-request.js';

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`reconcile on ${pairName}`, () => {
    let fixture: ServiceFixture;
    beforeAll(async () => {
      fixture = await factory();
    });
    afterAll(async () => fixture?.close());

    it('reports orphan objects and rows without objects; --fix removes orphans and marks rows broken, deleting no row', async () => {
      const auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const building = await registerBuilding(fixture);
      const upload = async () => {
        const { payload, headers } = documentUpload();
        return (await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } })).json() as Document;
      };
      const kept = await upload();
      const lost = await upload();
      const orphanKey = `${ORG_A}/${building}/${randomUUID()}`;
      await fixture.service.storage.put(orphanKey, 'left by a crash');
      await fixture.service.storage.delete(`${ORG_A}/${building}/${lost.id}`);

      const report = await fixture.service.documents.reconcile({ fix: false });
      expect(report.orphanObjects).toContain(orphanKey);
      expect(report.missingObjects).toEqual([`${ORG_A}/${building}/${lost.id}`]);
      expect(report.fixed).toBe(0);

      // Orphans younger than the grace period may be uploads in flight: left alone.
      expect((await fixture.service.documents.reconcile({ fix: true })).fixed).toBe(1);
      expect(await fixture.service.storage.exists(orphanKey)).toBe(true);

      const fixed = await fixture.service.documents.reconcile({ fix: true, graceMs: 0 });
      expect(fixed.orphanObjects).toContain(orphanKey);
      expect(await fixture.service.storage.exists(orphanKey)).toBe(false);
      const broken = (await fixture.service.app.inject({ url: `/api/v1/documents/${lost.id}`, headers: auth })).json() as Document;
      expect(broken.status).toBe('broken');
      expect((await fixture.service.app.inject({ url: `/api/v1/documents/${kept.id}`, headers: auth })).json()).toMatchObject({ status: 'active' });
      const again = await fixture.service.documents.reconcile({ fix: true, graceMs: 0 });
      expect(again.orphanObjects).toEqual([]);
      expect(again.missingObjects).toEqual([`${ORG_A}/${building}/${lost.id}`]);
      expect(again.fixed).toBe(0);
    });
  });
}
