import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import type { DocumentVersion } from '../../src/shared/document-version.js';
import { ORG_A, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { PDF, documentUpload, multipartBody, pdfOfSize } from '../support/upload-request.js';
import { sha256 } from '../support/streams.js';
import { auditEntries, onlyEntry } from '../support/audit-entries.js';

/** Every change through the API leaves one entry, written with the change, with who, where and what changed. */
for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`audit trail of changes on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let headers: Record<string, string>;
    const requestId = (name: string) => ({ 'x-request-id': `${name}-${randomUUID().slice(0, 8)}` });

    beforeAll(async () => {
      // Nothing stays in the trash: a purge takes what was deleted.
      fixture = await factory({ env: { DOCSTORE_TRASH_DAYS: '0' } });
      headers = { authorization: `Bearer ${await fixture.token('syndic', { sub: 'syndic-7' })}`, 'user-agent': 'audit-test/1.0' };
    });
    afterAll(async () => fixture?.close());

    async function upload(buildingId: string, options: Parameters<typeof documentUpload>[0] = {}, extra: Record<string, string> = {}): Promise<Document> {
      const { payload, headers: form } = documentUpload(options);
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...form, ...headers, ...extra } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as Document;
    }

    const actor = { kind: 'user', subject: 'syndic-7', role: 'syndic' };

    it('upload, new version, edit, delete, restore: one entry each, with actor, request, building, document, version and old → new', async () => {
      const building = await registerBuilding(fixture);
      const uploadRequest = requestId('upload');
      const document = await upload(building, { type: 'other', title: 'Avant' }, uploadRequest);
      const [uploaded] = await auditEntries(fixture.service.db, { documentId: document.id });
      expect(uploaded).toMatchObject({
        organizationId: ORG_A,
        action: 'document.upload',
        outcome: 'success',
        actor,
        buildingId: building,
        documentId: document.id,
        version: 1,
        requestId: uploadRequest['x-request-id'],
        clientAddress: '127.0.0.1',
        userAgent: 'audit-test/1.0',
        details: { type: 'other', title: 'Avant', fileName: 'facture.pdf', mimeType: 'application/pdf', size: PDF.length, sha256: sha256(PDF) },
      });

      const second = pdfOfSize(2000);
      const { payload, headers: form } = multipartBody([{ name: 'file', fileName: 'v2.pdf', content: second }]);
      const added = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/versions`, payload, headers: { ...form, ...headers } });
      expect(added.statusCode, added.body).toBe(201);
      expect((added.json() as DocumentVersion).version).toBe(2);

      const patch = await fixture.service.app.inject({ method: 'PATCH', url: `/api/v1/documents/${document.id}`, payload: { title: 'Après', description: 'ajoutée' }, headers });
      expect(patch.statusCode, patch.body).toBe(200);
      const deleted = await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${document.id}`, headers });
      expect(deleted.statusCode, deleted.body).toBe(204);
      const restored = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/restore`, headers });
      expect(restored.statusCode, restored.body).toBe(200);

      const entries = await auditEntries(fixture.service.db, { documentId: document.id });
      expect(entries.map((entry) => entry.action)).toEqual(['document.upload', 'document.version_add', 'document.update', 'document.delete', 'document.restore']);
      expect(onlyEntry(entries, 'document.version_add')).toMatchObject({ actor, version: 2, buildingId: building, details: { fileName: 'v2.pdf', size: 2000, sha256: sha256(second), previous: { sha256: sha256(PDF), size: PDF.length } } });
      expect(onlyEntry(entries, 'document.update').details).toEqual({ changes: { title: { from: 'Avant', to: 'Après' }, description: { from: null, to: 'ajoutée' } } });
      expect(onlyEntry(entries, 'document.delete')).toMatchObject({ actor, outcome: 'success', buildingId: building, userAgent: 'audit-test/1.0' });
      expect(onlyEntry(entries, 'document.restore')).toMatchObject({ actor, outcome: 'success', details: { deletedAt: expect.any(String) } });
      // The sealer links them into the organisation's chain soon after.
      await fixture.service.audit.sealer.seal();
      for (const entry of await auditEntries(fixture.service.db, { documentId: document.id })) expect(entry.chainSeq).toBeGreaterThan(0);
    });

    it('a delete refused by retention or a legal hold is recorded as refused; the document stays', async () => {
      const building = await registerBuilding(fixture);
      const retained = await upload(building, { type: 'invoice' });
      expect((await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${retained.id}`, headers })).statusCode).toBe(409);
      const held = await upload(building, { type: 'other' });
      const hold = await fixture.service.app.inject({ method: 'PUT', url: `/api/v1/documents/${held.id}/legal-hold`, payload: { held: true, reason: 'Litige Dupont' }, headers });
      expect(hold.statusCode, hold.body).toBe(200);
      expect((await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${held.id}`, headers })).statusCode).toBe(409);
      expect(onlyEntry(await auditEntries(fixture.service.db, { documentId: retained.id }), 'document.delete')).toMatchObject({ outcome: 'refused', actor, details: { reason: 'document.retention_active' } });
      const heldEntries = await auditEntries(fixture.service.db, { documentId: held.id });
      expect(heldEntries.map((entry) => entry.action)).toEqual(['document.upload', 'legal_hold.place', 'document.delete']);
      expect(onlyEntry(heldEntries, 'document.delete')).toMatchObject({ outcome: 'refused', details: { reason: 'document.legal_hold_active' } });
    });

    it('a change rolled back leaves no entry: an edit refused inside its transaction, a shortening by a syndic', async () => {
      const building = await registerBuilding(fixture);
      const invoice = await upload(building, { type: 'invoice' });
      // invoice → other would end a 10-year retention: refused after the row was written, so rolled back.
      const edit = await fixture.service.app.inject({ method: 'PATCH', url: `/api/v1/documents/${invoice.id}`, payload: { type: 'other', title: 'Jamais' }, headers });
      expect(edit.statusCode, edit.body).toBe(409);
      const shorten = await fixture.service.app.inject({ method: 'PUT', url: `/api/v1/documents/${invoice.id}/retention`, payload: { retainUntil: '2027-01-01', reason: 'Trop long' }, headers });
      expect(shorten.statusCode, shorten.body).toBe(403);
      const entries = await auditEntries(fixture.service.db, { documentId: invoice.id });
      // The refused shortening is recorded as such (a 403), never as a change.
      expect(entries.map((entry) => [entry.action, entry.outcome])).toEqual([['document.upload', 'success'], ['access.refused', 'refused']]);
      expect((await fixture.service.db.selectFrom('documents').select('title').where('id', '=', invoice.id).executeTakeFirstOrThrow()).title).toBe(invoice.title);
    });

    it('purge: one entry per document, by the system', async () => {
      const building = await registerBuilding(fixture);
      const gone = await upload(building, { type: 'other', title: 'À purger' });
      expect((await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${gone.id}`, headers })).statusCode).toBe(204);
      expect(await fixture.service.documents.purge()).toBeGreaterThanOrEqual(1);
      const purged = onlyEntry(await auditEntries(fixture.service.db, { documentId: gone.id }), 'document.purge');
      expect(purged).toMatchObject({ organizationId: ORG_A, buildingId: building, actor: { kind: 'system', subject: 'purge', role: null }, outcome: 'success', details: { title: 'À purger', sha256: sha256(PDF) } });
    });

    it('retention: a document’s date and an organisation’s policy, with old → new and the reason', async () => {
      const building = await registerBuilding(fixture);
      const document = await upload(building, { type: 'other' });
      const set = await fixture.service.app.inject({ method: 'PUT', url: `/api/v1/documents/${document.id}/retention`, payload: { retainUntil: '2040-01-01', reason: 'Sinistre en cours' }, headers });
      expect(set.statusCode, set.body).toBe(200);
      expect(onlyEntry(await auditEntries(fixture.service.db, { documentId: document.id }), 'retention.change')).toMatchObject({
        actor,
        buildingId: building,
        details: { changes: { retention: { from: 'none', to: '2040-01-01' } }, reason: 'Sinistre en cours' },
      });
      const organization = randomUUID();
      const superadmin = { authorization: `Bearer ${await fixture.token('superadmin', { sub: 'root-1', org: organization })}` };
      const policy = await fixture.service.app.inject({ method: 'PUT', url: `/api/v1/organizations/${organization}/retention-policies`, payload: { periods: { other: '5', invoice: null }, reason: 'Politique du cabinet' }, headers: superadmin });
      expect(policy.statusCode, policy.body).toBe(200);
      const [entry, ...more] = await auditEntries(fixture.service.db, { organizationId: organization });
      expect(more).toEqual([]);
      // invoice was already the service's: only `other` changed.
      expect(entry).toMatchObject({ action: 'retention.policy_change', actor: { kind: 'user', subject: 'root-1', role: 'superadmin' }, buildingId: null, documentId: null, details: { changes: { other: { from: 'default', to: '5' } }, reason: 'Politique du cabinet' } });
    });

    it('legal holds on a document and a building, placed and released; a hold already in place records nothing', async () => {
      const building = await registerBuilding(fixture);
      const document = await upload(building, { type: 'other' });
      const put = (url: string, held: boolean) => fixture.service.app.inject({ method: 'PUT', url, payload: { held, reason: held ? 'Expertise judiciaire' : 'Expertise close' }, headers });
      for (const [url, held] of [[`/api/v1/documents/${document.id}/legal-hold`, true], [`/api/v1/documents/${document.id}/legal-hold`, true], [`/api/v1/documents/${document.id}/legal-hold`, false], [`/api/v1/buildings/${building}/legal-hold`, true], [`/api/v1/buildings/${building}/legal-hold`, false]] as const) {
        expect((await put(url, held)).statusCode).toBe(200);
      }
      const entries = (await auditEntries(fixture.service.db, { buildingId: building })).filter((entry) => entry.action.startsWith('legal_hold.'));
      expect(entries.map((entry) => [entry.action, entry.documentId, entry.details?.scope, entry.details?.reason])).toEqual([
        ['legal_hold.place', document.id, 'document', 'Expertise judiciaire'],
        ['legal_hold.release', document.id, 'document', 'Expertise close'],
        ['legal_hold.place', null, 'building', 'Expertise judiciaire'],
        ['legal_hold.release', null, 'building', 'Expertise close'],
      ]);
      for (const entry of entries) expect(entry).toMatchObject({ actor, organizationId: ORG_A, buildingId: building, details: { holdId: expect.any(String) } });
    });

    it('building registered and renamed, with old → new', async () => {
      const id = randomUUID();
      const created = await fixture.service.app.inject({ method: 'POST', url: '/api/v1/buildings', payload: { id, name: 'Résidence Les Tilleuls', address: { city: 'Liège' } }, headers });
      expect(created.statusCode, created.body).toBe(201);
      const renamed = await fixture.service.app.inject({ method: 'PATCH', url: `/api/v1/buildings/${id}`, payload: { name: 'Résidence Tilleuls', address: { city: 'Namur' } }, headers });
      expect(renamed.statusCode, renamed.body).toBe(200);
      const entries = await auditEntries(fixture.service.db, { buildingId: id });
      expect(entries.map((entry) => entry.action)).toEqual(['building.create', 'building.update']);
      expect(entries[0]).toMatchObject({ actor, organizationId: ORG_A, documentId: null, details: { name: 'Résidence Les Tilleuls', address: { city: 'Liège', country: 'BE' } } });
      expect(entries[1]?.details).toEqual({ changes: { name: { from: 'Résidence Les Tilleuls', to: 'Résidence Tilleuls' }, address: { from: { street: null, postalCode: null, city: 'Liège', country: 'BE' }, to: { street: null, postalCode: null, city: 'Namur', country: 'BE' } } } });
    });
  });
}
