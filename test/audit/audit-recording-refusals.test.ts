import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { documentUpload } from '../support/upload-request.js';
import { auditEntries } from '../support/audit-entries.js';

/** A 403 on a document, building or organisation that exists and that the caller may see is recorded as refused; a 404 records nothing. */
for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`audit trail of refused attempts on ${pairName}`, () => {
    let fixture: ServiceFixture;

    beforeAll(async () => {
      fixture = await factory();
    });
    afterAll(async () => fixture?.close());

    it('records each refusal with the caller, the resource and the route; answers stay 403', async () => {
      const building = await registerBuilding(fixture);
      const syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const { payload, headers: form } = documentUpload({ type: 'other' });
      const document = (await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...form, ...syndic } })).json() as Document;
      const owner = { authorization: `Bearer ${await fixture.token('owner', { sub: 'owner-9', buildings: [building] })}`, 'x-request-id': 'refused-1', 'user-agent': 'curious/1' };
      const accountant = { authorization: `Bearer ${await fixture.token('accountant', { sub: 'acc-1' })}` };

      const attempts = [
        { method: 'DELETE', url: `/api/v1/documents/${document.id}`, headers: owner },
        { method: 'PUT', url: `/api/v1/documents/${document.id}/legal-hold`, payload: { held: true, reason: 'pour voir' }, headers: owner },
        { method: 'PATCH', url: `/api/v1/buildings/${building}`, payload: { name: 'Autre' }, headers: owner },
        { method: 'PUT', url: `/api/v1/organizations/${ORG_A}/retention-policies`, payload: { periods: { other: '1' }, reason: 'plus court' }, headers: syndic },
      ] as const;
      for (const attempt of attempts) {
        const response = await fixture.service.app.inject(attempt);
        expect(response.statusCode, `${attempt.method} ${attempt.url}: ${response.body}`).toBe(403);
        expect(response.json()).toMatchObject({ code: 'auth.forbidden' });
      }
      const upload = documentUpload({ type: 'meeting_minutes' });
      expect((await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload: upload.payload, headers: { ...upload.headers, ...accountant } })).statusCode).toBe(403);

      const refused = await auditEntries(fixture.service.db, { action: 'access.refused' });
      const mine = refused.filter((entry) => entry.buildingId === building || (entry.buildingId === null && entry.details?.route === '/api/v1/organizations/:organizationId/retention-policies'));
      expect(mine.map((entry) => [entry.actor.subject, entry.documentId, entry.buildingId, entry.details?.method, entry.details?.route])).toEqual([
        ['owner-9', document.id, building, 'DELETE', '/api/v1/documents/:id'],
        ['owner-9', document.id, building, 'PUT', '/api/v1/documents/:id/legal-hold'],
        ['owner-9', null, building, 'PATCH', '/api/v1/buildings/:id'],
        ['user-syndic', null, null, 'PUT', '/api/v1/organizations/:organizationId/retention-policies'],
        ['acc-1', null, building, 'POST', '/api/v1/buildings/:buildingId/documents'],
      ]);
      for (const entry of mine) expect(entry).toMatchObject({ organizationId: ORG_A, outcome: 'refused', details: { reason: expect.any(String) } });
      expect(mine[0]).toMatchObject({ actor: { kind: 'user', role: 'owner' }, requestId: 'refused-1', userAgent: 'curious/1', clientAddress: '127.0.0.1' });
      // The refused changes did not happen, and recorded nothing else.
      expect((await auditEntries(fixture.service.db, { documentId: document.id })).map((entry) => entry.action)).toEqual(['document.upload', 'access.refused', 'access.refused']);
    });

    it('records nothing for what the caller may not see (404) or what does not exist', async () => {
      const building = await registerBuilding(fixture);
      const syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const { payload, headers: form } = documentUpload({ type: 'other' });
      const document = (await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...form, ...syndic } })).json() as Document;
      const outsider = { authorization: `Bearer ${await fixture.token('owner', { buildings: [] })}` };
      const otherOrganization = { authorization: `Bearer ${await fixture.token('syndic', { org: ORG_B })}` };
      for (const headers of [outsider, otherOrganization]) {
        expect((await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${document.id}`, headers })).statusCode).toBe(404);
        expect((await fixture.service.app.inject({ method: 'PATCH', url: `/api/v1/buildings/${building}`, payload: { name: 'x' }, headers })).statusCode).toBe(404);
      }
      expect(await auditEntries(fixture.service.db, { buildingId: building, action: 'access.refused' })).toEqual([]);
    });
  });
}
