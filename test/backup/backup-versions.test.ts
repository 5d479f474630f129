import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupRepository } from '../../src/backup/repository/backup-repository.js';
import { restoreSnapshot } from '../../src/backup/backup-restore.js';
import { initRepository } from '../../src/backup/backup-setup.js';
import type { Document } from '../../src/shared/document.js';
import type { DocumentVersion } from '../../src/shared/document-version.js';
import { backUpService, backupKeys, localRepositoryLocation, type BackupKeys, type RepositoryLocation } from '../support/backup-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { createTestDatabase, localSqliteService, type FixtureFactory, type ServiceFixture } from '../support/service-fixture.js';
import { sha256 } from '../support/streams.js';
import { documentUpload, multipartBody, pdfOfSize } from '../support/upload-request.js';

// The database dump differs by dialect (SQLite's backup API, PostgreSQL's JSON lines); the storage
// is local on both, so that each target starts empty (the shared test RGW is one bucket for all).
const DATABASES: Array<[string, FixtureFactory]> = [
  ['SQLite', localSqliteService],
  ['PostgreSQL', async (options = {}) => localSqliteService({ ...options, env: { ...options.env, DATABASE_URL: await createTestDatabase() } })],
];

for (const [databaseName, factory] of DATABASES) {
  describe(`backup and restore of document versions, database on ${databaseName}`, () => {
    let source: ServiceFixture;
    let keys: BackupKeys;
    let location: RepositoryLocation;
    let repository: BackupRepository;
    let document: Document;
    const contents = [pdfOfSize(1_500), pdfOfSize(2_500), pdfOfSize(3_500)];

    async function versionsOf(fixture: ServiceFixture, id: string): Promise<Array<DocumentVersion & { content: string }>> {
      const auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const list = await fixture.service.app.inject({ url: `/api/v1/documents/${id}/versions`, headers: auth });
      expect(list.statusCode, list.body).toBe(200);
      const versions: Array<DocumentVersion & { content: string }> = [];
      for (const version of (list.json() as { items: DocumentVersion[] }).items) {
        const body = await fixture.service.app.inject({ url: `/api/v1/documents/${id}/versions/${version.version}/content`, headers: auth });
        expect(body.statusCode).toBe(200);
        versions.push({ ...version, content: sha256(body.rawPayload) });
      }
      return versions;
    }

    const restoreInto = async (target: ServiceFixture, options: { documentIds?: string[]; force?: boolean } = {}) =>
      restoreSnapshot({ repository, snapshot: await repository.findSnapshot('latest'), keys: [keys.privateKey], storage: target.service.storage, db: target.service.db, ...options });

    beforeAll(async () => {
      source = await factory();
      keys = await backupKeys();
      location = await localRepositoryLocation();
      repository = (await initRepository(location.storage, [keys.publicKey], source.config.dataDir)).repository;
      const building = await registerBuilding(source);
      const auth = { authorization: `Bearer ${await source.token('syndic')}` };
      const { payload, headers } = documentUpload({ type: 'other', fileName: 'v1.pdf', content: contents[0] });
      const uploaded = await source.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
      expect(uploaded.statusCode, uploaded.body).toBe(201);
      document = uploaded.json() as Document;
      for (const [index, content] of contents.slice(1).entries()) {
        const body = multipartBody([{ name: 'file', fileName: `v${index + 2}.pdf`, content }]);
        const added = await source.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/versions`, payload: body.payload, headers: { ...body.headers, ...auth } });
        expect(added.statusCode, added.body).toBe(201);
      }
    });
    afterAll(async () => {
      await source?.close();
      await location?.close();
      await keys?.close();
    });

    it('a restored service has every version, each with its content; a partial restore brings a document back with all its versions', async () => {
      const expected = await versionsOf(source, document.id);
      expect(expected.map((version) => version.content)).toEqual(contents.map(sha256).reverse());
      const summary = await backUpService(source, repository);
      expect(summary.objects).toBe(3);

      const target = await factory();
      try {
        expect(await restoreInto(target)).toMatchObject({ documents: 1, objects: 3, failures: [] });
        expect(await versionsOf(target, document.id)).toEqual(expected);

        // Lost on the target, rows and objects: restoring the one document brings back all three.
        const keys = (await target.service.db.selectFrom('document_versions').select('storage_key').where('document_id', '=', document.id).execute()).map((row) => row.storage_key);
        expect(keys).toHaveLength(3);
        await target.service.db.deleteFrom('document_versions').where('document_id', '=', document.id).execute();
        await target.service.db.deleteFrom('documents').where('id', '=', document.id).execute();
        for (const key of keys) await target.service.storage.delete(key);
        expect(await restoreInto(target, { documentIds: [document.id] })).toMatchObject({ documents: 1, objects: 3, failures: [] });
        expect(await versionsOf(target, document.id)).toEqual(expected);
      } finally {
        await target.close();
      }
    });

    it('restores a dump whose documents have no version rows (made before versions) with each document as its version 1', async () => {
      // As a database dumped before the versions migration: documents only.
      await source.service.db.deleteFrom('document_versions').where('document_id', '=', document.id).execute();
      await backUpService(source, repository);
      const target = await factory();
      try {
        await restoreInto(target);
        const versions = await versionsOf(target, document.id);
        expect(versions).toEqual([expect.objectContaining({ version: 1, fileName: 'v3.pdf', size: contents[2]?.length, content: sha256(contents[2] as Buffer) })]);
      } finally {
        await target.close();
      }
    });
  });
}
