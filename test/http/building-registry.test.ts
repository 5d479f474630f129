import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildingSummary } from '../../src/shared/building.js';
import { financialYearEndOf } from '../../src/buildings/financial-year-end.js';
import { registerBuilding } from '../support/buildings.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload } from '../support/upload-request.js';

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`building registry on ${pairName}`, () => {
    let fixture: ServiceFixture;
    beforeAll(async () => {
      fixture = await factory();
    });
    afterAll(async () => fixture?.close());

    async function send(token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
      return fixture.service.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    }

    async function upload(token: string, buildingId: string) {
      const { payload, headers } = documentUpload();
      return fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, authorization: `Bearer ${token}` } });
    }

    it('a syndic registers a building: name trimmed, address, defaults BE and 31 December, a new id when none is given', async () => {
      const syndic = await fixture.token('syndic');
      const response = await send(syndic, 'POST', '/api/v1/buildings', { name: '  Résidence Les Tilleuls ', address: { street: 'Rue des Tilleuls 4', postalCode: '1000', city: 'Bruxelles' } });
      expect(response.statusCode, response.body).toBe(201);
      const building = response.json() as BuildingSummary;
      expect(building.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.location).toBe(`/api/v1/buildings/${building.id}`);
      expect(building).toMatchObject({
        organizationId: ORG_A,
        name: 'Résidence Les Tilleuls',
        address: { street: 'Rue des Tilleuls 4', postalCode: '1000', city: 'Bruxelles', country: 'BE' },
        externalReference: null,
        financialYearEnd: { month: 12, day: 31 },
        documents: { count: 0, bytes: 0 },
        trash: { count: 0, bytes: 0 },
        permissions: { upload: true, manage: true },
      });
      expect((await send(syndic, 'GET', `/api/v1/buildings/${building.id}`)).json()).toEqual(building);
    });

    it('keeps the property-management application’s id, reference and financial-year end', async () => {
      const id = randomUUID();
      const response = await send(await fixture.token('syndic'), 'POST', '/api/v1/buildings', {
        id,
        name: 'VME Zonnestraal',
        address: { city: 'Gent', country: 'nl' },
        externalReference: 'PMA-0042',
        financialYearEnd: { month: 6, day: 30 },
      });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.json()).toMatchObject({ id, address: { street: null, postalCode: null, city: 'Gent', country: 'NL' }, externalReference: 'PMA-0042', financialYearEnd: { month: 6, day: 30 } });
      expect(await financialYearEndOf(fixture.service.db, id)).toEqual({ month: 6, day: 30 });
    });

    it('an id already registered is a 409, whichever organisation has it, worded alike', async () => {
      const ours = await registerBuilding(fixture);
      const theirs = await registerBuilding(fixture, { org: ORG_B });
      const syndic = await fixture.token('syndic');
      const answers = [];
      for (const id of [ours, theirs]) {
        const response = await send(syndic, 'POST', '/api/v1/buildings', { id, name: 'Doublon' });
        expect(response.statusCode).toBe(409);
        expect(response.headers['content-type']).toContain('application/problem+json');
        const problem = response.json() as Record<string, unknown>;
        expect(problem).toMatchObject({ code: 'building.already_exists', status: 409 });
        expect(JSON.stringify(problem)).not.toContain(ORG_B);
        answers.push(Object.keys(problem).sort());
      }
      expect(answers[0]).toEqual(answers[1]);
      // The building of the other organisation is untouched.
      expect((await send(await fixture.token('syndic', { org: ORG_B }), 'GET', `/api/v1/buildings/${theirs}`)).json()).toMatchObject({ organizationId: ORG_B, name: expect.stringMatching(/^Résidence /) });
    });

    it('refuses bad input with 400 problem+json', async () => {
      const syndic = await fixture.token('syndic');
      const bad: Array<[string, unknown]> = [
        ['name', {}],
        ['name', { name: '   ' }],
        ['name', { name: 'x'.repeat(201) }],
        ['id', { name: 'A', id: 'not-a-uuid' }],
        ['country', { name: 'A', address: { country: 'XX' } }],
        ['country', { name: 'A', address: { country: 'BEL' } }],
        ['financialYearEnd', { name: 'A', financialYearEnd: { month: 2, day: 29 } }],
        ['financialYearEnd', { name: 'A', financialYearEnd: { month: 4, day: 31 } }],
        ['financialYearEnd', { name: 'A', financialYearEnd: { month: 13, day: 1 } }],
        ['unknown', { name: 'A', colour: 'blue' }],
      ];
      for (const [field, body] of bad) {
        const response = await send(syndic, 'POST', '/api/v1/buildings', body);
        expect(response.statusCode, `${field}: ${response.body}`).toBe(400);
        expect(response.json()).toMatchObject({ code: 'request.invalid' });
      }
      expect((await send(syndic, 'POST', '/api/v1/buildings', { name: 'Fin février', financialYearEnd: { month: 2, day: 28 } })).statusCode).toBe(201);
    });

    it('only syndics and superadmins register; a superadmin names the organisation, a syndic only its own', async () => {
      for (const role of ['accountant', 'board_member', 'owner'] as const) {
        const response = await send(await fixture.token(role), 'POST', '/api/v1/buildings', { name: 'Interdit' });
        expect(response.statusCode).toBe(403);
        expect(response.json()).toMatchObject({ code: 'auth.forbidden' });
      }
      const superadmin = await fixture.token('superadmin');
      const missing = await send(superadmin, 'POST', '/api/v1/buildings', { name: 'Sans organisation' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json()).toMatchObject({ code: 'building.invalid_input' });
      expect(missing.json().detail).toContain('organizationId');
      const created = await send(superadmin, 'POST', '/api/v1/buildings', { name: 'Pour B', organizationId: ORG_B });
      expect(created.statusCode, created.body).toBe(201);
      const id = (created.json() as BuildingSummary).id;
      expect((await send(await fixture.token('syndic', { org: ORG_B }), 'GET', `/api/v1/buildings/${id}`)).json()).toMatchObject({ organizationId: ORG_B, name: 'Pour B' });
      const elsewhere = await send(await fixture.token('syndic'), 'POST', '/api/v1/buildings', { name: 'Chez B', organizationId: ORG_B });
      expect(elsewhere.statusCode).toBe(403);
      expect((await send(await fixture.token('syndic'), 'POST', '/api/v1/buildings', { name: 'Chez nous', organizationId: ORG_A })).statusCode).toBe(201);
    });

    it('GET one building: 404 alike for unknown, another organisation’s, or outside an owner’s token', async () => {
      const id = await registerBuilding(fixture, { name: 'Le Prieuré' });
      expect((await send(await fixture.token('owner', { buildings: [id] }), 'GET', `/api/v1/buildings/${id}`)).json()).toMatchObject({ name: 'Le Prieuré', permissions: { read: true, upload: false, manage: false } });
      for (const [token, target] of [
        [await fixture.token('syndic', { org: ORG_B }), id],
        [await fixture.token('owner', { buildings: [] }), id],
        [await fixture.token('syndic'), randomUUID()],
      ] as const) {
        const response = await send(token, 'GET', `/api/v1/buildings/${target}`);
        expect(response.statusCode).toBe(404);
        expect(response.json()).toMatchObject({ code: 'building.not_found', detail: `Building ${target} not found` });
      }
    });

    it('PATCH renames, changes the address field by field, the reference and the financial-year end', async () => {
      const id = await registerBuilding(fixture, { name: 'Ancien nom', address: { street: 'Rue A 1', postalCode: '4000', city: 'Liège' }, externalReference: 'R-1' });
      const syndic = await fixture.token('syndic');
      const before = (await send(syndic, 'GET', `/api/v1/buildings/${id}`)).json() as BuildingSummary;
      const response = await send(syndic, 'PATCH', `/api/v1/buildings/${id}`, { name: 'Nouveau nom', address: { street: null, city: 'Luik' }, externalReference: null, financialYearEnd: { month: 3, day: 31 } });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({
        id,
        name: 'Nouveau nom',
        address: { street: null, postalCode: '4000', city: 'Luik', country: 'BE' },
        externalReference: null,
        financialYearEnd: { month: 3, day: 31 },
        createdAt: before.createdAt,
      });
      expect(await financialYearEndOf(fixture.service.db, id)).toEqual({ month: 3, day: 31 });
      expect((await send(syndic, 'PATCH', `/api/v1/buildings/${id}`, { financialYearEnd: { month: 2, day: 29 } })).statusCode).toBe(400);
      expect((await send(syndic, 'PATCH', `/api/v1/buildings/${id}`, { name: '' })).statusCode).toBe(400);
      expect((await send(syndic, 'PATCH', `/api/v1/buildings/${id}`, { organizationId: ORG_B })).statusCode).toBe(400);
      const accountant = await send(await fixture.token('accountant'), 'PATCH', `/api/v1/buildings/${id}`, { name: 'Comptable' });
      expect(accountant.statusCode).toBe(403);
      const foreign = await send(await fixture.token('syndic', { org: ORG_B }), 'PATCH', `/api/v1/buildings/${id}`, { name: 'Squat' });
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json()).toMatchObject({ code: 'building.not_found' });
      expect((await send(await fixture.token('superadmin'), 'PATCH', `/api/v1/buildings/${id}`, { name: 'Par le superadmin' })).json()).toMatchObject({ name: 'Par le superadmin' });
    });

    it('an upload into an unregistered building is a 404, as into another organisation’s; no one owns it by uploading', async () => {
      const syndic = await fixture.token('syndic');
      const unknown = randomUUID();
      const foreign = await registerBuilding(fixture, { org: ORG_B });
      const answers = [];
      for (const id of [unknown, foreign]) {
        const response = await upload(syndic, id);
        expect(response.statusCode).toBe(404);
        expect(response.json()).toMatchObject({ code: 'documents.not_found', detail: `Building ${id} not found` });
        answers.push(Object.keys(response.json() as object).sort());
      }
      expect(answers[0]).toEqual(answers[1]);
      expect((await upload(await fixture.token('superadmin'), unknown)).statusCode).toBe(404);
      // The unknown id stays free: another organisation registers it and uploads.
      expect((await send(await fixture.token('syndic', { org: ORG_B }), 'GET', `/api/v1/buildings/${unknown}`)).statusCode).toBe(404);
      await registerBuilding(fixture, { id: unknown, org: ORG_B });
      expect((await upload(await fixture.token('syndic', { org: ORG_B }), unknown)).statusCode).toBe(201);
      expect((await upload(syndic, unknown)).statusCode).toBe(404);
    });

    it('the OpenAPI document describes registration, reading and changing a building', async () => {
      const spec = (await fixture.service.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
      expect(Object.keys(spec.paths['/api/v1/buildings']?.post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '403', '409']));
      expect(Object.keys(spec.paths['/api/v1/buildings/{id}']?.get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '404']));
      expect(Object.keys(spec.paths['/api/v1/buildings/{id}']?.patch?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '403', '404']));
    });
  });
}
