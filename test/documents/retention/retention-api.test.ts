import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProtectedDocument } from '../../../src/shared/document.js';
import { ORG_A, SERVICE_PAIRS, s3PostgresService, type ServiceFixture } from '../../support/service-fixture.js';
import { registerBuilding } from '../../support/buildings.js';
import { documentUpload } from '../../support/upload-request.js';

/** The service's clock: each test sets the day it needs (a Brussels date at noon), no sleeping. */
let clock = new Date('2026-12-05T11:00:00Z');
const at = (instant: string) => {
  clock = new Date(instant);
};

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`retention and legal hold on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let auth: Record<string, string>;
    let superadmin: Record<string, string>;
    let juneBuilding: string;
    let decemberBuilding: string;

    beforeAll(async () => {
      // A key prefix of its own on the shared test bucket: reconcile --fix below deletes young orphans, never other tests' objects.
      const ownPrefix = factory === s3PostgresService ? { env: { S3_KEY_PREFIX: `retention-${randomUUID()}/` } } : {};
      fixture = await factory({ now: () => clock, ...ownPrefix });
      auth = { authorization: `Bearer ${await fixture.token('syndic', { sub: 'syndic-1', ttlSeconds: 3600 })}` };
      superadmin = { authorization: `Bearer ${await fixture.token('superadmin', { sub: 'root-1', ttlSeconds: 3600 })}` };
      juneBuilding = await registerBuilding(fixture, { financialYearEnd: { month: 6, day: 30 } });
      decemberBuilding = await registerBuilding(fixture);
    });
    afterAll(async () => fixture?.close());

    async function call(method: 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST', url: string, payload?: unknown, headers = auth) {
      return fixture.service.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    }

    async function upload(buildingId: string, type: string, extra: Record<string, string> = {}): Promise<ProtectedDocument> {
      at('2026-12-05T11:00:00Z');
      const { payload, headers } = documentUpload({ type, title: `${type} ${randomUUID().slice(0, 8)}`, extra: Object.entries(extra).map(([name, value]) => ({ name, value })) });
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, ...auth } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as ProtectedDocument;
    }

    it('computes retainUntil by type across financial years ending 30 June and 31 December', async () => {
      const juneInvoice = await upload(juneBuilding, 'invoice', { documentDate: '2025-07-01' });
      expect(juneInvoice.documentDate).toBe('2025-07-01');
      expect(juneInvoice.retention).toEqual({ retainUntil: '2037-01-01', permanent: false, active: true, basis: 'financial_year', financialYearClose: '2026-06-30' });
      // The upload's answer, computed from the building read before storing, is the one a read gives.
      expect((await call('GET', `/documents/${juneInvoice.id}`)).json().retention).toEqual(juneInvoice.retention);
      const juneStatement = await upload(juneBuilding, 'financial_statement', { documentDate: '2025-06-30' });
      expect(juneStatement.retention).toMatchObject({ retainUntil: '2036-01-01', financialYearClose: '2025-06-30' });
      const decemberQuote = await upload(decemberBuilding, 'works_quote', { documentDate: '2025-07-01' });
      expect(decemberQuote.retention).toMatchObject({ retainUntil: '2036-01-01', financialYearClose: '2025-12-31' });
      const undated = await upload(decemberBuilding, 'invoice');
      expect(undated.documentDate).toBe('2026-12-05');
      expect(undated.retention.retainUntil).toBe('2037-01-01');
      const contract = await upload(juneBuilding, 'contract', { contractEndDate: '2027-09-30' });
      expect(contract.retention).toMatchObject({ retainUntil: '2037-09-30', basis: 'contract_end' });
      const openContract = await upload(juneBuilding, 'contract');
      expect(openContract.retention).toMatchObject({ retainUntil: '2036-12-05', basis: 'upload' });
      for (const type of ['meeting_minutes', 'regulation', 'basic_deed']) {
        expect((await upload(decemberBuilding, type)).retention).toEqual({ retainUntil: null, permanent: true, active: true, basis: 'permanent', financialYearClose: null });
      }
      for (const type of ['owner_document', 'other']) {
        expect((await upload(decemberBuilding, type)).retention).toEqual({ retainUntil: null, permanent: false, active: false, basis: 'none', financialYearClose: null });
      }
      const listed = (await call('GET', `/buildings/${juneBuilding}/documents?type=invoice`)).json() as { items: ProtectedDocument[] };
      expect(listed.items.find((item) => item.id === juneInvoice.id)?.retention.retainUntil).toBe('2037-01-01');
    });

    it('refuses bad dates with documents.invalid_input', async () => {
      const { payload, headers } = documentUpload({ extra: [{ name: 'documentDate', value: '2025-02-29' }] });
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${decemberBuilding}/documents`, payload, headers: { ...headers, ...auth } });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'documents.invalid_input' });
    });

    it('refuses deleting until the day of expiry (the day before: 409 naming the date; that day: deleted)', async () => {
      const invoice = await upload(juneBuilding, 'invoice', { documentDate: '2025-07-01' });
      at('2036-12-31T22:59:00Z'); // 23:59 on 31 December 2036 in Brussels
      const refused = await call('DELETE', `/documents/${invoice.id}`);
      expect(refused.statusCode).toBe(409);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({ code: 'document.retention_active', retainUntil: '2037-01-01', permanent: false, documentId: invoice.id });
      expect(refused.json().detail).toContain('2037-01-01');
      expect((await call('GET', `/documents/${invoice.id}`)).json().retention.active).toBe(true);
      at('2036-12-31T23:00:00Z'); // midnight, 1 January 2037 in Brussels
      expect((await call('GET', `/documents/${invoice.id}`)).json().retention.active).toBe(false);
      expect((await call('DELETE', `/documents/${invoice.id}`)).statusCode).toBe(204);
    });

    it('never deletes a permanent document', async () => {
      const minutes = await upload(decemberBuilding, 'meeting_minutes');
      at('2200-01-01T12:00:00Z');
      const refused = await call('DELETE', `/documents/${minutes.id}`, undefined, superadmin);
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'document.retention_active', retainUntil: null, permanent: true });
    });

    it('refuses an edit that would shorten an active retention; lengthening is fine', async () => {
      const invoice = await upload(decemberBuilding, 'invoice', { documentDate: '2025-03-10' });
      const toOther = await call('PATCH', `/documents/${invoice.id}`, { type: 'other' });
      expect(toOther.statusCode).toBe(409);
      expect(toOther.json()).toMatchObject({ code: 'document.retention_active', retainUntil: '2036-01-01' });
      expect((await call('PATCH', `/documents/${invoice.id}`, { documentDate: '2024-01-01' }, superadmin)).statusCode).toBe(409);
      const later = await call('PATCH', `/documents/${invoice.id}`, { documentDate: '2026-02-01' });
      expect(later.statusCode, later.body).toBe(200);
      expect(later.json().retention.retainUntil).toBe('2037-01-01');
      expect((await call('GET', `/documents/${invoice.id}`)).json().type).toBe('invoice');
    });

    it('lets only a superadmin shorten a retention, with a reason that is kept', async () => {
      const invoice = await upload(decemberBuilding, 'invoice', { documentDate: '2025-03-10' });
      const body = { retainUntil: '2027-01-01', reason: 'Duplicate of an invoice kept in the accountant’s archive' };
      expect((await call('PUT', `/documents/${invoice.id}/retention`, body)).statusCode).toBe(403);
      expect((await call('PUT', `/documents/${invoice.id}/retention`, { ...body, reason: ' ' }, superadmin)).json()).toMatchObject({ code: 'documents.invalid_input' });
      expect((await call('PUT', `/documents/${invoice.id}/retention`, { retainUntil: '2027-01-01' }, superadmin)).statusCode).toBe(400);
      const shortened = await call('PUT', `/documents/${invoice.id}/retention`, body, superadmin);
      expect(shortened.statusCode, shortened.body).toBe(200);
      expect(shortened.json()).toMatchObject({ retainUntil: '2027-01-01', basis: 'override', changes: [{ previous: '2036-01-01', next: '2027-01-01', reason: body.reason, changedBy: 'root-1' }] });
      // A syndic may lengthen it again.
      const lengthened = await call('PUT', `/documents/${invoice.id}/retention`, { retainUntil: '2040-01-01', reason: 'Pending VAT audit' });
      expect(lengthened.statusCode, lengthened.body).toBe(200);
      expect((await call('GET', `/documents/${invoice.id}/retention`)).json().changes).toHaveLength(2);
      at('2039-12-31T12:00:00Z');
      expect((await call('DELETE', `/documents/${invoice.id}`)).statusCode).toBe(409);
      at('2040-01-01T12:00:00Z');
      expect((await call('DELETE', `/documents/${invoice.id}`)).statusCode).toBe(204);
    });

    it('holds a document: no delete until released, with a reason each way', async () => {
      const other = await upload(decemberBuilding, 'other');
      const owner = { authorization: `Bearer ${await fixture.token('owner', { buildings: [decemberBuilding] })}` };
      expect((await call('PUT', `/documents/${other.id}/legal-hold`, { held: true, reason: 'Dispute with the roofer' }, owner)).statusCode).toBe(403);
      expect((await call('PUT', `/documents/${other.id}/legal-hold`, { held: true })).statusCode).toBe(400);
      const placed = await call('PUT', `/documents/${other.id}/legal-hold`, { held: true, reason: 'Dispute with the roofer' });
      expect(placed.statusCode, placed.body).toBe(200);
      expect(placed.json()).toMatchObject({ held: true, hold: { documentId: other.id, reason: 'Dispute with the roofer', placedBy: 'syndic-1', releasedAt: null } });
      expect((await call('GET', `/documents/${other.id}`)).json().legalHold).toEqual({ active: true, scope: 'document' });
      const refused = await call('DELETE', `/documents/${other.id}`, undefined, superadmin);
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'document.legal_hold_active', scope: 'document' });
      expect((await call('PUT', `/documents/${other.id}/legal-hold`, { held: false, reason: '' })).statusCode).toBe(400);
      const released = await call('PUT', `/documents/${other.id}/legal-hold`, { held: false, reason: 'Settled on 2026-12-01' });
      expect(released.json()).toMatchObject({ held: false, hold: { releasedBy: 'syndic-1', releaseReason: 'Settled on 2026-12-01' } });
      expect((await call('DELETE', `/documents/${other.id}`)).statusCode).toBe(204);
    });

    it('holds a building: every document of it, present and future, and lists the holds', async () => {
      const building = await registerBuilding(fixture);
      const before = await upload(building, 'owner_document');
      expect((await call('PUT', `/buildings/${building}/legal-hold`, { held: true, reason: 'Claim against the builder' })).statusCode).toBe(200);
      const after = await upload(building, 'other');
      expect(after.legalHold).toEqual({ active: true, scope: 'building' });
      expect((await call('GET', `/documents/${after.id}`)).json()).toMatchObject({ retention: after.retention, legalHold: after.legalHold });
      for (const document of [before, after]) {
        const refused = await call('DELETE', `/documents/${document.id}`);
        expect(refused.json()).toMatchObject({ code: 'document.legal_hold_active', scope: 'building' });
      }
      const holds = (await call('GET', `/buildings/${building}/legal-holds`)).json() as { items: Array<{ documentId: string | null; reason: string }> };
      expect(holds.items).toEqual([expect.objectContaining({ documentId: null, reason: 'Claim against the builder' })]);
      const accountant = { authorization: `Bearer ${await fixture.token('accountant')}` };
      expect((await call('GET', `/buildings/${building}/legal-holds`, undefined, accountant)).statusCode).toBe(403);
      const otherOrg = { authorization: `Bearer ${await fixture.token('syndic', { org: randomUUID() })}` };
      expect((await call('PUT', `/buildings/${building}/legal-hold`, { held: false, reason: 'Not mine' }, otherOrg)).statusCode).toBe(404);
      expect((await call('PUT', `/buildings/${building}/legal-hold`, { held: false, reason: 'Claim withdrawn' })).statusCode).toBe(200);
      expect((await call('DELETE', `/documents/${after.id}`)).statusCode).toBe(204);
    });

    it('purge (the timer’s and the CLI’s) never removes a document under retention or hold, whatever its trash age', async () => {
      const building = await registerBuilding(fixture);
      const held = await upload(building, 'other');
      const retained = await upload(building, 'other');
      const free = await upload(building, 'other');
      for (const document of [held, retained, free]) expect((await call('DELETE', `/documents/${document.id}`)).statusCode).toBe(204);
      // In the trash, a hold is placed and a retention set (a syndic lengthens: no superadmin needed).
      expect((await call('PUT', `/documents/${held.id}/legal-hold`, { held: true, reason: 'Evidence for the claim' })).statusCode).toBe(200);
      expect((await call('PUT', `/documents/${retained.id}/retention`, { retainUntil: '2030-01-01', reason: 'Asked by the auditor' })).statusCode).toBe(200);
      at('2029-06-01T12:00:00Z');
      const report = await fixture.service.documents.purgeReport();
      expect(report.kept).toBeGreaterThanOrEqual(2);
      const trash = ((await call('GET', `/buildings/${building}/trash`)).json() as { items: ProtectedDocument[] }).items.map((item) => item.id);
      expect(trash.sort()).toEqual([held.id, retained.id].sort());
      expect(await fixture.service.storage.exists(`${ORG_A}/${building}/${held.id}`)).toBe(true);
      at('2030-01-01T12:00:00Z');
      await fixture.service.documents.purge();
      expect(((await call('GET', `/buildings/${building}/trash`)).json() as { items: ProtectedDocument[] }).items.map((item) => item.id)).toEqual([held.id]);
      expect((await call('PUT', `/documents/${held.id}/legal-hold`, { held: false, reason: 'Claim settled' })).statusCode).toBe(200);
      await fixture.service.documents.purge();
      expect(((await call('GET', `/buildings/${building}/trash`)).json() as { items: ProtectedDocument[] }).items).toEqual([]);
    });

    it('reconcile --fix leaves orphans of a retained or held document, or of a held building', async () => {
      const building = await registerBuilding(fixture);
      const invoice = await upload(building, 'invoice');
      // The service's clock after the real time the storage stamps on the orphans (upload set it to a fixed day), so they are past the grace period.
      at(new Date(Date.now() + 3_600_000).toISOString());
      const storage = fixture.service.storage;
      const ofRetained = `${ORG_A}/${building}/${invoice.id}/extra`;
      const stray = `${ORG_A}/${building}/${randomUUID()}`;
      for (const key of [ofRetained, stray]) await storage.put(key, Readable.from([Buffer.from('%PDF-1.4 orphan')]), { contentType: 'application/pdf' });
      expect((await call('PUT', `/buildings/${building}/legal-hold`, { held: true, reason: 'Water damage claim' })).statusCode).toBe(200);
      let report = await fixture.service.documents.reconcile({ fix: true, graceMs: -60_000 });
      expect(report.protectedObjects).toEqual(expect.arrayContaining([ofRetained, stray]));
      expect(await storage.exists(stray)).toBe(true);
      expect((await call('PUT', `/buildings/${building}/legal-hold`, { held: false, reason: 'Claim closed' })).statusCode).toBe(200);
      report = await fixture.service.documents.reconcile({ fix: true, graceMs: -60_000 });
      expect(report.protectedObjects).toContain(ofRetained);
      expect(report.protectedObjects).not.toContain(stray);
      expect(await storage.exists(stray)).toBe(false);
      expect(await storage.exists(ofRetained)).toBe(true);
    });

    it('organisation policies: read by syndics, set by superadmins with a reason, applied at once', async () => {
      const other = await upload(decemberBuilding, 'other', { documentDate: '2026-03-01' });
      const read = await call('GET', `/organizations/${ORG_A}/retention-policies`);
      expect(read.statusCode, read.body).toBe(200);
      expect(read.json().periods).toEqual(expect.arrayContaining([{ type: 'invoice', period: '10', source: 'default' }, { type: 'meeting_minutes', period: 'permanent', source: 'default' }]));
      const body = { periods: { other: '3' }, reason: 'Our accountant keeps other papers 3 years (CDE III.86)' };
      expect((await call('PUT', `/organizations/${ORG_A}/retention-policies`, body)).statusCode).toBe(403);
      expect((await call('PUT', `/organizations/${ORG_A}/retention-policies`, { periods: { other: 'forever' }, reason: 'typo' }, superadmin)).statusCode).toBe(400);
      const set = await call('PUT', `/organizations/${ORG_A}/retention-policies`, body, superadmin);
      expect(set.statusCode, set.body).toBe(200);
      expect(set.json().periods).toContainEqual({ type: 'other', period: '3', source: 'organization' });
      expect(set.json().changes[0]).toMatchObject({ documentType: 'other', previous: 'default', next: '3', reason: body.reason });
      expect((await call('GET', `/documents/${other.id}`)).json().retention).toMatchObject({ retainUntil: '2030-01-01', active: true });
      // An upload answers with the policy too, as a read of it does.
      const uploaded = await upload(decemberBuilding, 'other', { documentDate: '2026-03-01' });
      expect(uploaded.retention).toMatchObject({ retainUntil: '2030-01-01', active: true });
      expect((await call('GET', `/documents/${uploaded.id}`)).json()).toMatchObject({ retention: uploaded.retention, legalHold: uploaded.legalHold });
      expect((await call('PUT', `/organizations/${ORG_A}/retention-policies`, { periods: { other: null }, reason: 'Back to the default' }, superadmin)).statusCode).toBe(200);
      expect((await call('GET', `/documents/${other.id}`)).json().retention.active).toBe(false);
      const otherOrg = { authorization: `Bearer ${await fixture.token('syndic', { org: randomUUID() })}` };
      expect((await call('GET', `/organizations/${ORG_A}/retention-policies`, undefined, otherOrg)).statusCode).toBe(404);
    });
  });
}
