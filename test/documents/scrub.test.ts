import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupRepository } from '../../src/backup/repository/backup-repository.js';
import { restoreSnapshot } from '../../src/backup/backup-restore.js';
import { initRepository } from '../../src/backup/backup-setup.js';
import type { Document } from '../../src/shared/document.js';
import { DocumentScrubber } from '../../src/documents/integrity/document-scrubber.js';
import { acquireLease, ensureScrubRow, readScrubState } from '../../src/documents/integrity/scrub-repository.js';
import { objectsPerRun } from '../../src/documents/integrity/scrub-schedule.js';
import { startScheduledScrub } from '../../src/cli/serve-command.js';
import { BandwidthLimiter } from '../../src/sync/bandwidth-limiter.js';
import { backUpService, backupKeys, localRepositoryLocation, type BackupKeys, type RepositoryLocation } from '../support/backup-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { damageInPlace } from '../support/damage.js';
import { openRawRequest } from '../support/raw-http.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix, sha256 } from '../support/streams.js';
import { documentUpload, multipartBody, pdfOfSize } from '../support/upload-request.js';

const SIZE = 200_000;

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`docstore scrub on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let auth: Record<string, string>;
    let keys: BackupKeys;
    let location: RepositoryLocation;
    let repository: BackupRepository;
    const documents: Document[] = [];
    const contents: Buffer[] = [];

    beforeAll(async () => {
      // The test RGW's bucket is shared: a prefix of its own, so that the backup holds this fixture's objects only.
      fixture = await factory({ listen: true, env: pairName.startsWith('S3') ? { S3_KEY_PREFIX: `scrub-${randomPrefix()}/` } : {} });
      auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const building = await registerBuilding(fixture);
      for (let index = 0; index < 4; index++) {
        const content = pdfOfSize(SIZE + index);
        const { payload, headers } = documentUpload({ type: 'other', content, fileName: `d${index}.pdf` });
        const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
        expect(response.statusCode, response.body).toBe(201);
        documents.push(response.json() as Document);
        contents.push(content);
      }
      // The first document has a second version: 5 versions in all.
      const body = multipartBody([{ name: 'file', fileName: 'd0-v2.pdf', content: pdfOfSize(SIZE) }]);
      const added = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${documents[0]!.id}/versions`, payload: body.payload, headers: { ...body.headers, ...auth } });
      expect(added.statusCode, added.body).toBe(201);
      keys = await backupKeys();
      location = await localRepositoryLocation();
      repository = (await initRepository(location.storage, [keys.publicKey], fixture.config.dataDir)).repository;
      await backUpService(fixture, repository);
    });
    afterAll(async () => {
      await fixture?.close();
      await location?.close();
      await keys?.close();
    });

    const scrubber = () => new DocumentScrubber({ db: fixture.service.db, storage: fixture.service.storage, integrity: fixture.service.integrity });

    async function storageKeyOf(documentId: string, version: number): Promise<string> {
      const row = await fixture.service.db.selectFrom('document_versions').select('storage_key').where('document_id', '=', documentId).where('version', '=', version).executeTakeFirstOrThrow();
      return row.storage_key;
    }

    async function statusOf(documentId: string): Promise<string> {
      return (await fixture.service.app.inject({ url: `/api/v1/documents/${documentId}`, headers: auth })).json().status as string;
    }

    it('reads every version, resumes where it stopped, starts a new pass after a complete one, and --restart starts over', async () => {
      const seen: string[] = [];
      const first = await scrubber().run({ maxObjects: 2, onObject: (event) => seen.push(`${event.documentId}/${event.version}`) });
      expect(first).toMatchObject({ status: 'done', objects: 2, damaged: [], missing: [], passCompleted: false, totalVersions: 5 });
      expect((await readScrubState(fixture.service.db)).cursor).toBeDefined();
      const rest = await scrubber().run({ onObject: (event) => seen.push(`${event.documentId}/${event.version}`) });
      expect(rest).toMatchObject({ status: 'done', objects: 3, passCompleted: true });
      // Every version read exactly once over the two runs, in (document, version) order.
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
      expect(seen).toEqual([...seen].sort());
      const state = await readScrubState(fixture.service.db);
      expect(state.cursor).toBeUndefined();
      expect(state.lastCompletedAt).toBeDefined();
      expect((await scrubber().run({ maxObjects: 1 })).objects).toBe(1);
      expect(await scrubber().run({ restart: true, limiter: new BandwidthLimiter(64 * 1024 * 1024) })).toMatchObject({ objects: 5, passCompleted: true });
    });

    it('one run at a time: a run finds the lease held by another instance and reads nothing', async () => {
      await ensureScrubRow(fixture.service.db);
      const now = new Date();
      expect(await acquireLease(fixture.service.db, 'another-instance', now, new Date(now.getTime() + 60_000))).toBe(true);
      expect(await scrubber().run()).toMatchObject({ status: 'busy', objects: 0 });
      // A lapsed lease is taken over.
      expect(await acquireLease(fixture.service.db, 'another-instance', now, new Date(now.getTime() - 1))).toBe(true);
      expect(await scrubber().run({ restart: true })).toMatchObject({ status: 'done', objects: 5 });
    });

    it('finds an object damaged in place and a missing one, marks their documents broken; a backup restores the damaged one, which serves again', async () => {
      const damaged = documents[1]!;
      const missing = documents[2]!;
      await damageInPlace(fixture, await storageKeyOf(damaged.id, 1), 1234);
      await fixture.service.storage.delete(await storageKeyOf(missing.id, 1));
      const report = await scrubber().run({ restart: true });
      expect(report.status).toBe('done');
      expect(report.damaged.map((event) => event.documentId)).toEqual([damaged.id]);
      expect(report.missing.map((event) => event.documentId)).toEqual([missing.id]);
      expect(await statusOf(damaged.id)).toBe('broken');
      expect(await statusOf(missing.id)).toBe('broken');
      expect(await statusOf(documents[3]!.id)).toBe('active');
      expect(await fixture.service.metrics.exposition()).toMatch(/^docstore_integrity_failures_total\{source="scrub",reason="mismatch"\} 1$/m);

      // The API refuses it mid-stream.
      const refused = await openRawRequest(fixture.baseUrl!, 'GET', `/api/v1/documents/${damaged.id}/content`, { ...auth, connection: 'close' }).closed;
      expect(refused.body.length).toBeLessThan(SIZE + 1);

      // Restore both documents from the backup taken before the damage (docs/operations.md#damaged-objects).
      const restored = await restoreSnapshot({ repository, snapshot: await repository.findSnapshot('latest'), keys: [keys.privateKey], storage: fixture.service.storage, db: fixture.service.db, documentIds: [damaged.id, missing.id], force: true });
      expect(restored.failures).toEqual([]);
      for (const [index, document] of [[1, damaged], [2, missing]] as const) {
        const served = await openRawRequest(fixture.baseUrl!, 'GET', `/api/v1/documents/${document.id}/content`, { ...auth, connection: 'close' }).closed;
        expect(served.status).toBe(200);
        expect(sha256(served.body)).toBe(sha256(contents[index]!));
        expect(await statusOf(document.id)).toBe('active');
      }
      expect(await scrubber().run({ restart: true })).toMatchObject({ objects: 5, damaged: [], missing: [] });
    });

    it('serve\'s schedule: a run reads its share of the versions and counts it in the docstore_scrub_* metrics', async () => {
      let resolveDone: (details: object) => void = () => {};
      let rejectDone: (error: Error) => void = () => {};
      const done = new Promise<object>((resolve, reject) => {
        resolveDone = resolve;
        rejectDone = reject;
      });
      const log = {
        info: (details: object, message: string) => message === 'scheduled scrub done' && resolveDone(details),
        error: (details: object, message: string) => rejectDone(new Error(message, { cause: details })),
      };
      // 5 versions over a period of one run: every version in this run (an interval of a few milliseconds).
      const schedule = { intervalHours: 24 / 1e6, periodDays: 1e-6, bandwidthBytesPerSecond: 64 * 1024 * 1024 };
      const scheduled = startScheduledScrub(fixture.service, schedule, fixture.service.metrics, log);
      void done.finally(() => scheduled.stop()).catch(() => undefined);
      const before = await fixture.service.metrics.exposition();
      const okBefore = Number(/^docstore_scrub_objects_total\{result="ok"\} (\d+)$/m.exec(before)?.[1]);
      expect(await done).toMatchObject({ objects: 5, damaged: 0, missing: 0, passCompleted: false });
      const after = await fixture.service.metrics.exposition();
      expect(Number(/^docstore_scrub_objects_total\{result="ok"\} (\d+)$/m.exec(after)?.[1])).toBe(okBefore + 5);
      expect(Number(/^docstore_scrub_bytes_total (\d+)$/m.exec(after)?.[1])).toBeGreaterThanOrEqual(5 * SIZE);
    });

    it('scrubs one document: a broken document whose versions all read whole becomes active again', async () => {
      const document = documents[3]!;
      await fixture.service.db.updateTable('documents').set({ status: 'broken' }).where('id', '=', document.id).execute();
      expect(await scrubber().scrubDocument(document.id)).toMatchObject({ objects: 1, damaged: [], missing: [] });
      expect(await statusOf(document.id)).toBe('active');
      await damageInPlace(fixture, await storageKeyOf(document.id, 1), SIZE - 1);
      expect((await scrubber().scrubDocument(document.id)).damaged).toHaveLength(1);
      expect(await statusOf(document.id)).toBe('broken');
    });
  });
}

describe('the scheduled scrub share', () => {
  it('reads every version within the period', () => {
    expect(objectsPerRun(3000, { intervalHours: 24, periodDays: 30 })).toBe(100);
    expect(objectsPerRun(3001, { intervalHours: 24, periodDays: 30 })).toBe(101);
    expect(objectsPerRun(0, { intervalHours: 24, periodDays: 30 })).toBe(1);
    expect(objectsPerRun(10, { intervalHours: 24 * 60, periodDays: 30 })).toBe(10);
  });
});
