import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobName } from '../../../src/backup/format/backup-manifest.js';
import type { Snapshot } from '../../../src/backup/repository/backup-repository.js';
import { applyPolicy, keepProtected } from '../../../src/backup/backup-retention.js';
import type { ProtectedDocument } from '../../../src/shared/document.js';
import { protectedSha256s } from '../../../src/documents/retention/protected-contents.js';
import { protectedKeys } from '../../../src/documents/retention/protected-keys.js';
import { LocalObjectStorage } from '../../../src/storage/local/local-object-storage.js';
import { mirror } from '../../../src/sync/mirror.js';
import { registerBuilding } from '../../support/buildings.js';
import { ORG_A, SERVICE_PAIRS, s3PostgresService, type ServiceFixture } from '../../support/service-fixture.js';
import { documentUpload } from '../../support/upload-request.js';

/**
 * The maintenance paths that delete by key or by content, under retention and hold: mirror
 * --delete (what `docstore mirror` passes as `keep`) and backup forget --prune (the blobs of the
 * protected contents). The API, purge and reconcile are in retention-api.test.ts.
 */
for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`delete paths under retention and hold on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let auth: Record<string, string>;
    let building: string;
    let invoice: ProtectedDocument;
    let held: ProtectedDocument;
    let free: ProtectedDocument;
    let destinationRoot: string;

    beforeAll(async () => {
      const ownPrefix = factory === s3PostgresService ? { env: { S3_KEY_PREFIX: `retention-${randomUUID()}/` } } : {};
      fixture = await factory(ownPrefix);
      auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
      building = await registerBuilding(fixture);
      const upload = async (type: string) => {
        const { payload, headers } = documentUpload({ type, title: `${type} ${randomUUID().slice(0, 8)}`, content: Buffer.from(`%PDF-1.4 ${randomUUID()}`) });
        const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
        expect(response.statusCode, response.body).toBe(201);
        return response.json() as ProtectedDocument;
      };
      invoice = await upload('invoice');
      held = await upload('other');
      free = await upload('other');
      expect((await fixture.service.app.inject({ method: 'PUT', url: `/api/v1/documents/${held.id}/legal-hold`, payload: { held: true, reason: 'Pending claim' }, headers: auth })).statusCode).toBe(200);
      destinationRoot = await mkdtemp(join(tmpdir(), 'docstore-retention-mirror-'));
    });
    afterAll(async () => {
      await fixture?.close();
      if (destinationRoot !== undefined) await rm(destinationRoot, { recursive: true, force: true });
    });

    it('mirror --delete keeps the destination objects of retained and held documents, deletes the rest', async () => {
      const source = fixture.service.storage;
      const destination = await LocalObjectStorage.open({ root: destinationRoot });
      const first = await mirror(source, destination);
      expect(first.copied).toBe(3);
      // The source loses all three objects (a mistaken script, a broken disk): only the destination has them.
      const keys = [invoice, held, free].map((document) => `${ORG_A}/${building}/${document.id}`);
      for (const key of keys) await source.delete(key);
      const keep = (candidates: readonly string[]) => protectedKeys(fixture.service.documents.protection, candidates);
      const events: Array<{ key: string; action: string }> = [];
      const summary = await mirror(source, destination, { delete: true, maxDelete: 1, keep }, (event) => events.push(event));
      expect(summary).toMatchObject({ deleted: 1, kept: 2, failed: 0 });
      expect(events.filter((event) => event.action === 'keep').map((event) => event.key).sort()).toEqual([keys[0], keys[1]].sort());
      expect(await destination.exists(keys[0] as string)).toBe(true);
      expect(await destination.exists(keys[1] as string)).toBe(true);
      expect(await destination.exists(keys[2] as string)).toBe(false);
    });

    it('backup forget keeps the newest snapshot holding a retained or held document’s content', async () => {
      const contents = await protectedSha256s(fixture.service.db, fixture.service.documents.protection);
      expect(contents.get(invoice.sha256)).toBe('retention');
      expect(contents.get(held.sha256)).toBe('legal_hold');
      expect(contents.has(free.sha256)).toBe(false);
      const namingKey = Buffer.alloc(32, 7);
      const blobOf = (document: ProtectedDocument) => blobName(namingKey, document.sha256);
      const snapshot = (id: string, time: string, documents: ProtectedDocument[]): Snapshot => ({
        format: 'docstore-backup-snapshot',
        version: 1,
        id,
        time,
        manifest: { name: `manifest-${id}`, size: 1, sha256: '' },
        blobs: documents.map((document) => [blobOf(document), document.size, '']),
      });
      // The invoice's and the held document's objects were lost after the January snapshot: newer snapshots lack them.
      const snapshots = [
        snapshot('jan', '2026-01-31T00:00:00Z', [invoice, held, free]),
        snapshot('feb', '2026-02-28T00:00:00Z', [held, free]),
        snapshot('mar', '2026-03-31T00:00:00Z', [free]),
      ];
      const protectedBlobs = new Map([...contents].map(([sha256, why]) => [blobName(namingKey, sha256), why]));
      const plan = keepProtected(applyPolicy(snapshots, { keepLast: 1 }), protectedBlobs);
      expect(plan.keep.map((kept) => [kept.snapshot.id, kept.reasons])).toEqual([
        ['mar', ['last']],
        ['feb', ['legal_hold']],
        ['jan', ['retention']],
      ]);
      expect(plan.remove).toEqual([]);
      // Without protection the policy alone would remove both.
      expect(applyPolicy(snapshots, { keepLast: 1 }).remove.map((removed) => removed.id)).toEqual(['feb', 'jan']);
    });
  });
}
