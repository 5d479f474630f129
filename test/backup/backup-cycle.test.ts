import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initRepository } from '../../src/backup/backup-setup.js';
import { readManifest, restoreSnapshot } from '../../src/backup/backup-restore.js';
import { BackupRepository } from '../../src/backup/repository/backup-repository.js';
import type { Document } from '../../src/shared/document.js';
import { backUpService, backupKeys, s3RepositoryLocation, type BackupKeys, type RepositoryLocation } from '../support/backup-fixture.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';
import { sha256 } from '../support/streams.js';
import { registerBuilding } from '../support/buildings.js';


for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`backup and restore of a whole service on ${pairName}, repository on S3 (RGW)`, () => {
    let source: ServiceFixture;
    let keys: BackupKeys;
    let location: RepositoryLocation;
    let repository: BackupRepository;
    let auth: Record<string, string>;
    const uploaded: Array<{ document: Document; content: Buffer }> = [];
    const buildings = [randomUUID(), randomUUID()];

    async function upload(fixture: ServiceFixture, buildingId: string, options: Parameters<typeof documentUpload>[0] & { content: Buffer }): Promise<Document> {
      const { payload, headers } = documentUpload(options);
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, ...auth } });
      expect(response.statusCode, response.body).toBe(201);
      const document = response.json() as Document;
      uploaded.push({ document, content: options.content });
      return document;
    }

    const backUp = () => backUpService(source, repository);

    beforeAll(async () => {
      source = await factory();
      for (const id of buildings) await registerBuilding(source, { id });
      auth = { authorization: `Bearer ${await source.token('syndic')}` };
      keys = await backupKeys();
      location = await s3RepositoryLocation();
      repository = (await initRepository(location.storage, [keys.publicKey], source.config.dataDir)).repository;
      await upload(source, buildings[0] as string, { title: 'Procès-verbal AG 2026', fileName: 'PV AG 2026 – signé.pdf', type: 'meeting_minutes', content: pdfOfSize(2_000) });
      await upload(source, buildings[0] as string, { title: 'Facture chauffage', fileName: 'facture.pdf', type: 'invoice', content: pdfOfSize(40_000) });
      // Larger than the S3 adapter's single-request limit: a multipart upload on both sides.
      await upload(source, buildings[1] as string, { title: 'Plans façade', fileName: 'plans.pdf', type: 'works_quote', content: pdfOfSize(6 * 1024 * 1024 + 123) });
      const same = pdfOfSize(3_000);
      await upload(source, buildings[1] as string, { title: 'Copie 1', fileName: 'copie.pdf', type: 'contract', content: same });
      await upload(source, buildings[1] as string, { title: 'Copie 2', fileName: 'copie.pdf', type: 'contract', content: same });
      const trashed = await upload(source, buildings[1] as string, { title: 'Ancien devis', fileName: 'devis.pdf', type: 'other', content: pdfOfSize(5_000) });
      const deleted = await source.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${trashed.id}`, headers: auth });
      expect(deleted.statusCode).toBe(204);
      // What an unfinished resumable upload leaves in the storage on S3: no document, never backed up.
      for (const key of ['tus-uploads/0123abcd.info', 'tus-uploads/0123abcd.part']) await source.service.storage.put(key, '{}');
    });
    afterAll(async () => {
      await source?.close();
      await location?.close();
      await keys?.close();
    });

    it('backs up everything, then a fresh service restored from it serves identical documents, metadata and trash', async () => {
      const first = await backUp();
      expect(first.objects).toBe(uploaded.length);
      expect((await readManifest(repository, await repository.findSnapshot('latest'), [keys.privateKey])).objects.map((object) => object.key).filter((key) => key.startsWith('tus-uploads/'))).toEqual([]);
      // Two documents share their content: one blob for both, uploaded once even when both are read at the same time.
      expect(first.uploaded).toBe(uploaded.length - 1);
      expect(first.reused).toBe(1);
      expect(new Set((await repository.snapshots())[0]?.blobs.map(([name]) => name)).size).toBe(uploaded.length - 1 + 2);

      const target = await factory();
      try {
        const summary = await restoreSnapshot({ repository, snapshot: await repository.findSnapshot('latest'), keys: [keys.privateKey], storage: target.service.storage, db: target.service.db });
        expect(summary.failures).toEqual([]);
        expect(summary.documents).toBe(uploaded.length);
        expect(summary.buildings).toBe(2);
        const targetAuth = { authorization: `Bearer ${await target.token('syndic')}` };
        for (const { document, content } of uploaded) {
          const trashed = document.title === 'Ancien devis';
          const metadata = await target.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document.id}`, headers: targetAuth });
          if (trashed) {
            expect(metadata.statusCode).toBe(404);
            continue;
          }
          expect(metadata.statusCode, metadata.body).toBe(200);
          expect(metadata.json()).toEqual(document);
          const body = await target.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document.id}/content`, headers: targetAuth });
          expect(body.statusCode).toBe(200);
          expect(sha256(body.rawPayload)).toBe(sha256(content));
          expect(body.headers['content-type']).toBe('application/pdf');
        }
        const trash = await target.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${buildings[1]}/trash`, headers: targetAuth });
        expect((trash.json() as { items: Document[] }).items.map((item) => item.title)).toEqual(['Ancien devis']);
        const restored = await target.service.app.inject({ method: 'POST', url: `/api/v1/documents/${uploaded.at(-1)?.document.id}/restore`, headers: targetAuth });
        expect(restored.statusCode).toBe(200);
      } finally {
        await target.close();
      }
    });

    it('an incremental run uploads only the new content', async () => {
      await upload(source, buildings[0] as string, { title: 'Nouveau contrat', fileName: 'contrat.pdf', type: 'contract', content: pdfOfSize(12_345) });
      const next = await backUp();
      expect(next.objects).toBe(uploaded.length);
      expect(next.uploaded).toBe(1);
      expect(next.reused).toBe(uploaded.length - 1);
      // The new object, a new database dump and a new manifest; nothing else. A SQLite dump is the
      // whole file (a page per table and index at least, and every module adds tables): its size is
      // read, not assumed; a PostgreSQL dump is the rows of a few tables.
      const databaseBytes =
        source.config.database.dialect === 'sqlite'
          ? Number((await sql<{ bytes: number }>`select page_count * page_size as bytes from pragma_page_count(), pragma_page_size()`.execute(source.service.db)).rows[0]?.bytes)
          : 0;
      expect(next.uploadedBytes).toBeLessThan(12_345 * 1.2 + databaseBytes * 1.1 + 100_000);
    });

    it('refuses to restore over a service that holds documents, and restores one document or one building into it', async () => {
      const snapshot = await repository.findSnapshot('latest');
      await expect(restoreSnapshot({ repository, snapshot, keys: [keys.privateKey], storage: source.service.storage, db: source.service.db })).rejects.toMatchObject({
        code: 'backup.target_not_empty',
      });
      const victim = uploaded[1] as { document: Document; content: Buffer };
      await source.service.db.deleteFrom('documents').where('id', '=', victim.document.id).execute();
      await source.service.storage.delete(await keyOf(victim.document));
      const one = await restoreSnapshot({ repository, snapshot, keys: [keys.privateKey], storage: source.service.storage, db: source.service.db, documentIds: [victim.document.id] });
      expect(one).toMatchObject({ objects: 1, documents: 1, failures: [] });
      const body = await source.service.app.inject({ method: 'GET', url: `/api/v1/documents/${victim.document.id}/content`, headers: auth });
      expect(sha256(body.rawPayload)).toBe(sha256(victim.content));
      await expect(
        restoreSnapshot({ repository, snapshot, keys: [keys.privateKey], storage: source.service.storage, db: source.service.db, buildingIds: [buildings[0] as string] }),
      ).rejects.toMatchObject({ code: 'backup.target_not_empty' });
      const building = await restoreSnapshot({ repository, snapshot, keys: [keys.privateKey], storage: source.service.storage, db: source.service.db, buildingIds: [buildings[0] as string], force: true });
      expect(building).toMatchObject({ documents: 3, failures: [] });
      await expect(
        restoreSnapshot({ repository, snapshot, keys: [keys.privateKey], storage: source.service.storage, db: source.service.db, documentIds: [randomUUID()] }),
      ).rejects.toMatchObject({ code: 'backup.snapshot_not_found' });
    });

    async function keyOf(document: Document): Promise<string> {
      const row = await source.service.db.selectFrom('documents').select('storage_key').where('id', '=', document.id).executeTakeFirst();
      return row?.storage_key ?? `${document.organizationId}/${document.buildingId}/${document.id}`;
    }
  });
}

/**
 * Uploads one document to `source`, backs it up to a fresh repository on RGW, restores the snapshot
 * into `target` and hands the outcome to `check`; closes both services and the repository after.
 */
async function backUpAndRestoreOne(
  source: ServiceFixture,
  target: ServiceFixture,
  upload: { title: string; content: Buffer },
  check: (outcome: { created: Document; repository: BackupRepository; keys: BackupKeys; summary: Awaited<ReturnType<typeof restoreSnapshot>> }) => Promise<void>,
): Promise<void> {
  const keys = await backupKeys();
  const location = await s3RepositoryLocation();
  try {
    const auth = { authorization: `Bearer ${await source.token('syndic')}` };
    const { payload, headers } = documentUpload(upload);
    const created = (await source.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${await registerBuilding(source)}/documents`, payload, headers: { ...headers, ...auth } })).json() as Document;
    const { repository } = await initRepository(location.storage, [keys.publicKey], source.config.dataDir);
    await backUpService(source, repository);
    const summary = await restoreSnapshot({ repository, snapshot: await repository.findSnapshot('latest'), keys: [keys.privateKey], storage: target.service.storage, db: target.service.db });
    await check({ created, repository, keys, summary });
  } finally {
    await source.close();
    await target.close();
    await location.close();
    await keys.close();
  }
}

describe('a snapshot taken on SQLite restores into PostgreSQL (and so moves an embedded install to a server)', () => {
  it('every document comes back, served byte for byte', async () => {
    const [, sqliteFactory] = SERVICE_PAIRS[0] as [string, (typeof SERVICE_PAIRS)[number][1]];
    const [, postgresFactory] = SERVICE_PAIRS[1] as [string, (typeof SERVICE_PAIRS)[number][1]];
    const target = await postgresFactory();
    const content = pdfOfSize(77_777);
    await backUpAndRestoreOne(await sqliteFactory(), target, { title: 'Règlement de copropriété', content }, async ({ created, summary }) => {
      expect(summary.failures).toEqual([]);
      const targetAuth = { authorization: `Bearer ${await target.token('syndic')}` };
      const metadata = await target.service.app.inject({ method: 'GET', url: `/api/v1/documents/${created.id}`, headers: targetAuth });
      expect(metadata.json()).toEqual(created);
      const body = await target.service.app.inject({ method: 'GET', url: `/api/v1/documents/${created.id}/content`, headers: targetAuth });
      expect(sha256(body.rawPayload)).toBe(sha256(content));
    });
  });
});

describe('backups of client-side encrypted storage hold plaintext (OpenPGP-encrypted), independent of the master keys', () => {
  it('a service with DOCSTORE_MASTER_KEYS backs up; a service with other master keys restores and serves the same bytes', async () => {
    const [, sqliteFactory] = SERVICE_PAIRS[0] as [string, (typeof SERVICE_PAIRS)[number][1]];
    const masterKey = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
    const source = await sqliteFactory({ env: { DOCSTORE_MASTER_KEYS: masterKey('office-2026') } });
    const target = await sqliteFactory({ env: { DOCSTORE_MASTER_KEYS: masterKey('new-server') } });
    const content = pdfOfSize(200_000);
    await backUpAndRestoreOne(source, target, { title: 'Décompte chiffré', content }, async ({ created, repository, keys, summary }) => {
      const manifest = await readManifest(repository, await repository.findSnapshot('latest'), [keys.privateKey]);
      expect(manifest.objects[0]?.sha256).toBe(sha256(content));
      expect(summary.failures).toEqual([]);
      const body = await target.service.app.inject({ method: 'GET', url: `/api/v1/documents/${created.id}/content`, headers: { authorization: `Bearer ${await target.token('syndic')}` } });
      expect(sha256(body.rawPayload)).toBe(sha256(content));
    });
  });
});
