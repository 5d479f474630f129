import { copyFile, open, rm, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProtectedDocument } from '../../src/shared/document.js';
import { hasErrorCode } from '../../src/errors/docstore-error.js';
import { readVerificationKeys } from '../../src/handover/archive/archive-signature.js';
import { BuildingImporter } from '../../src/handover/building-importer.js';
import { FaultInjectingObjectStorage } from '../../src/storage/decorators/fault-injecting-object-storage.js';
import { localSqliteService, ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix, sha256 } from '../support/streams.js';
import { exportToFile, populateBuilding, type PopulatedBuilding } from './handover-fixture.js';

async function objectCount(fixture: ServiceFixture): Promise<number> {
  let count = 0;
  for await (const entry of fixture.service.storage.list()) if (entry.kind === 'object' && !entry.key.startsWith('.docstore')) count++;
  return count;
}

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`building import on ${pairName}`, () => {
    let source: ServiceFixture;
    let target: ServiceFixture;
    let building: PopulatedBuilding;
    let archive: { file: string; dir: string };

    beforeAll(async () => {
      // The test RGW's bucket is shared: each installation keeps to a prefix of its own.
      const prefix = () => (pairName.startsWith('S3') ? { env: { S3_KEY_PREFIX: `handover-${randomPrefix()}/` } } : {});
      source = await factory(prefix());
      target = await factory(prefix());
      await source.service.handover.keys.create(ORG_A, 'Syndic Dupont SRL');
      building = await populateBuilding(source);
      archive = await exportToFile(source, { buildingId: building.buildingId, includeTrash: true });
    });
    afterAll(async () => {
      await Promise.all([source?.close(), target?.close()]);
      if (archive !== undefined) await rm(archive.dir, { recursive: true, force: true });
    });

    it('refuses the whole archive when one byte is flipped, naming the file, and leaves nothing behind', async () => {
      const damaged = `${archive.file}.flipped.zip`;
      await copyFile(archive.file, damaged);
      // The 20 MiB document fills most of the archive: its middle is one of its bytes.
      const handle = await open(damaged, 'r+');
      const offset = Math.floor((await stat(damaged)).size / 2);
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, offset);
      byte[0] = (byte[0] ?? 0) ^ 0x01;
      await handle.write(byte, 0, 1, offset);
      await handle.close();
      const keys = await readVerificationKeys(await source.service.handover.keys.publicKeyOf(ORG_A), 'source');
      const failure = await target.service.handover.importer.import({ file: damaged, organizationId: ORG_B, keys, importedBy: 'test' }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(hasErrorCode(failure, 'handover.checksum_mismatch'), String(failure)).toBe(true);
      const files = (failure as { context: { files: Array<{ path: string; problem: string }> } }).context.files;
      expect(files).toHaveLength(1);
      expect(files[0]?.problem).toBe('mismatch');
      expect(files[0]?.path).toMatch(/^documents\/[a-z_]+\/.+\(.{8}\)\/v1 /);
      expect(await target.service.db.selectFrom('documents').select('id').execute()).toEqual([]);
      expect(await target.service.db.selectFrom('buildings').select('id').execute()).toEqual([]);
      expect(await objectCount(target)).toBe(0);
    });

    it('refuses an archive signed by another key', async () => {
      await target.service.handover.keys.create(ORG_B, 'Another syndic');
      const wrong = await readVerificationKeys(await target.service.handover.keys.publicKeyOf(ORG_B), 'other');
      const failure = await target.service.handover.importer.import({ file: archive.file, organizationId: ORG_B, keys: wrong, importedBy: 'test' }).catch((error: unknown) => error);
      expect(hasErrorCode(failure, 'handover.signature_invalid'), String(failure)).toBe(true);
      expect(await objectCount(target)).toBe(0);
    });

    it('imports into a fresh installation: every document byte for byte, with its metadata, retention and hold; twice creates nothing twice', async () => {
      const keys = await readVerificationKeys(await source.service.handover.keys.publicKeyOf(ORG_A), 'source');
      const report = await target.service.handover.importer.import({ file: archive.file, organizationId: ORG_B, keys, importedBy: 'test' });
      expect(report).toMatchObject({ buildingId: building.buildingId, buildingCreated: true, documentsImported: 50, documentsSkipped: 0, versionsImported: building.versions.size });
      const before = { documents: await target.service.db.selectFrom('documents').select('id').execute(), objects: await objectCount(target) };

      const sourceAuth = { authorization: `Bearer ${await source.token('syndic')}` };
      const targetAuth = { authorization: `Bearer ${await target.token('syndic', { org: ORG_B })}` };
      for (const original of building.documents) {
        const trashed = original.id === building.trashedId;
        const url = trashed ? `/api/v1/buildings/${building.buildingId}/trash?limit=100` : `/api/v1/documents/${original.id}`;
        const [mine, theirs] = await Promise.all([source.service.app.inject({ method: 'GET', url, headers: sourceAuth }), target.service.app.inject({ method: 'GET', url, headers: targetAuth })]);
        expect(theirs.statusCode, theirs.body).toBe(200);
        if (trashed) {
          expect((theirs.json() as { items: ProtectedDocument[] }).items.map((item) => item.id)).toEqual([original.id]);
          continue;
        }
        const a = mine.json() as ProtectedDocument;
        const b = theirs.json() as ProtectedDocument;
        const { organizationId: _a, updatedAt: _ua, ...left } = a;
        const { organizationId: _b, updatedAt: _ub, ...right } = b;
        expect(right).toEqual(left);
        expect(b.organizationId).toBe(ORG_B);
        const versions = (await target.service.app.inject({ method: 'GET', url: `/api/v1/documents/${original.id}/versions`, headers: targetAuth })).json() as { items: Array<{ version: number }> };
        for (const { version } of versions.items) {
          const content = await target.service.app.inject({ method: 'GET', url: `/api/v1/documents/${original.id}/versions/${version}/content`, headers: targetAuth });
          expect(content.statusCode).toBe(200);
          expect(sha256(content.rawPayload), `${original.id} v${version}`).toBe(building.versions.get(`${original.id}/${version}`));
        }
      }
      const holds = (await target.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${building.buildingId}/legal-holds`, headers: targetAuth })).json() as { items: Array<{ documentId: string; reason: string; releasedAt: string | null }> };
      expect(holds.items).toMatchObject([{ documentId: building.heldId, reason: 'Litige entrepreneur façade', releasedAt: null }]);

      const again = await target.service.handover.importer.import({ file: archive.file, organizationId: ORG_B, keys, importedBy: 'test' });
      expect(again).toMatchObject({ buildingCreated: false, documentsImported: 0, documentsSkipped: 50, versionsImported: 0 });
      expect(await target.service.db.selectFrom('documents').select('id').execute()).toHaveLength(before.documents.length);
      expect(await objectCount(target)).toBe(before.objects);
      expect(await target.service.db.selectFrom('legal_holds').select('id').execute()).toHaveLength(1);
    });
  });
}

describe('building import under a shorter retention policy', () => {
  it('keeps every document at least as long as the archive says (an override with its reason), permanent ones included', async () => {
    const source = await localSqliteService();
    const target = await localSqliteService();
    try {
      await source.service.handover.keys.create(ORG_A, 'Syndic');
      const building = await populateBuilding(source, { count: 8, bigBytes: 10_000 });
      const superadmin = { authorization: `Bearer ${await target.token('superadmin', { org: ORG_B })}` };
      const policy = await target.service.app.inject({
        method: 'PUT',
        url: `/api/v1/organizations/${ORG_B}/retention-policies`,
        payload: { periods: { invoice: '3', meeting_minutes: '5' }, reason: 'Politique de test plus courte' },
        headers: superadmin,
      });
      expect(policy.statusCode, policy.body).toBe(200);
      const { file, dir } = await exportToFile(source, { buildingId: building.buildingId });
      try {
        const keys = await readVerificationKeys(await source.service.handover.keys.publicKeyOf(ORG_A), 'source');
        const report = await target.service.handover.importer.import({ file, organizationId: ORG_B, keys, importedBy: 'test' });
        expect(report.retentionsKept).toBeGreaterThan(0);
        const mine = { authorization: `Bearer ${await source.token('syndic')}` };
        const theirs = { authorization: `Bearer ${await target.token('syndic', { org: ORG_B })}` };
        for (const document of building.documents.filter((d) => d.id !== building.trashedId)) {
          const a = (await source.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document.id}`, headers: mine })).json() as ProtectedDocument;
          const b = (await target.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document.id}`, headers: theirs })).json() as ProtectedDocument;
          if (a.retention.permanent) {
            expect(b.retention.permanent || (b.retention.retainUntil ?? '') >= '2120-01-01', document.type).toBe(true);
          } else if (a.retention.retainUntil !== null) {
            expect((b.retention.retainUntil ?? '9999') >= a.retention.retainUntil || b.retention.permanent, `${document.type} ${b.retention.retainUntil} < ${a.retention.retainUntil}`).toBe(true);
          }
        }
        const changes = await target.service.db.selectFrom('retention_changes').select(['reason', 'document_id']).where('document_id', 'is not', null).execute();
        expect(changes.length).toBe(report.retentionsKept);
        expect(changes[0]?.reason).toContain('imported from handover archive');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });
});

describe('building import that fails half-way', () => {
  it('leaves nothing visible and no object behind when the storage fails after some versions were stored', async () => {
    const source = await localSqliteService();
    const target = await localSqliteService();
    try {
      await source.service.handover.keys.create(ORG_A, 'Syndic');
      const building = await populateBuilding(source, { count: 8, bigBytes: 10_000 });
      const { file, dir } = await exportToFile(source, { buildingId: building.buildingId });
      try {
        const keys = await readVerificationKeys(await source.service.handover.keys.publicKeyOf(ORG_A), 'source');
        const failing = new BuildingImporter({
          db: target.service.db,
          storage: new FaultInjectingObjectStorage(target.service.storage, { failCall: 5, operations: ['put'] }),
          protection: target.service.documents.protection,
        });
        const failure = await failing.import({ file, organizationId: ORG_B, keys, importedBy: 'test' }).catch((error: unknown) => error);
        expect((failure as { code?: string }).code).toBe('storage.unavailable');
        expect(await target.service.db.selectFrom('documents').select('id').execute()).toEqual([]);
        expect(await target.service.db.selectFrom('buildings').select('id').execute()).toEqual([]);
        expect(await objectCount(target)).toBe(0);
        // The same archive then imports whole.
        const report = await target.service.handover.importer.import({ file, organizationId: ORG_B, keys, importedBy: 'test' });
        expect(report.documentsImported).toBe(7);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });
});
