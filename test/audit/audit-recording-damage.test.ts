import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentScrubber } from '../../src/documents/integrity/document-scrubber.js';
import type { Document } from '../../src/shared/document.js';
import { ORG_A, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { damageInPlace } from '../support/damage.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';
import { sha256 } from '../support/streams.js';
import { auditEntries, onlyEntry } from '../support/audit-entries.js';

/** Damaged content found on a read or by the scrub is recorded (document.damaged, outcome failed, by the system) with the document marked broken. */
for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`audit trail of damaged content on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let syndic: Record<string, string>;
    const content = pdfOfSize(200_000);

    beforeAll(async () => {
      fixture = await factory();
      syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
    });
    afterAll(async () => fixture?.close());

    async function damagedDocument(): Promise<Document> {
      const building = await registerBuilding(fixture);
      const { payload, headers } = documentUpload({ type: 'other', content });
      const document = (await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...syndic } })).json() as Document;
      await damageInPlace(fixture, `${ORG_A}/${building}/${document.id}`, 150_000);
      return document;
    }

    it('on a read: the download is recorded, then the damage', async () => {
      const document = await damagedDocument();
      // The response is cut before its last byte (inject reports the reset as an error); the damage is recorded first.
      const read = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/content`, headers: syndic }).catch((error: unknown) => error);
      expect(read).toBeInstanceOf(Error);
      const entries = await auditEntries(fixture.service.db, { documentId: document.id });
      expect(entries.map((entry) => entry.action)).toEqual(['document.upload', 'document.download', 'document.damaged']);
      expect(onlyEntry(entries, 'document.damaged')).toMatchObject({
        organizationId: ORG_A,
        buildingId: document.buildingId,
        version: 1,
        outcome: 'failed',
        actor: { kind: 'system', subject: 'read-check', role: null },
        details: { reason: 'mismatch', source: 'read', current: true, expectedSha256: sha256(content) },
      });
    });

    it('by the scrub', async () => {
      const document = await damagedDocument();
      const scrubber = new DocumentScrubber({ db: fixture.service.db, storage: fixture.service.storage, integrity: fixture.service.integrity });
      await scrubber.scrubDocument(document.id);
      const damaged = onlyEntry(await auditEntries(fixture.service.db, { documentId: document.id }), 'document.damaged');
      expect(damaged).toMatchObject({ outcome: 'failed', version: 1, actor: { kind: 'system', subject: 'scrub' }, details: { reason: 'mismatch', source: 'scrub', expectedSha256: sha256(content) } });
      const row = await fixture.service.db.selectFrom('documents').select('status').where('id', '=', document.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('broken');
    });
  });
}
