import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupRepository, Snapshot } from '../../src/backup/repository/backup-repository.js';
import { restoreSnapshot } from '../../src/backup/backup-restore.js';
import { applyPolicy, forgetSnapshots } from '../../src/backup/backup-retention.js';
import { initRepository } from '../../src/backup/backup-setup.js';
import { verifyRepository } from '../../src/backup/backup-verify.js';
import { RepositoryLock, STALE_AFTER_MS } from '../../src/backup/repository/repository-lock.js';
import { openDatabase } from '../../src/db/database.js';
import type { Document } from '../../src/shared/document.js';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backUpService, backupKeys, s3RepositoryLocation, uploadingService, type BackupKeys, type RepositoryLocation } from '../support/backup-fixture.js';
import type { ServiceFixture } from '../support/service-fixture.js';

const at = (time: string, id = time): Snapshot => ({ format: 'docstore-backup-snapshot', version: 1, id, time, manifest: { name: 'm', size: 1, sha256: 'x' }, blobs: [] });

describe('retention policy (restic semantics, UTC periods)', () => {
  const snapshots = [
    at('2026-09-30T02:30:00.000Z'),
    at('2026-10-31T02:30:00.000Z'),
    at('2026-11-20T02:30:00.000Z'),
    at('2026-11-27T02:30:00.000Z'),
    at('2026-11-28T02:30:00.000Z'),
    at('2026-11-28T14:00:00.000Z'),
    at('2026-11-29T02:30:00.000Z'),
  ];
  const kept = (policy: Parameters<typeof applyPolicy>[1]) => applyPolicy(snapshots, policy).keep.map((item) => item.snapshot.time.slice(0, 16));

  it('keeps the newest of each period, newest periods first, a snapshot any rule keeps stays', () => {
    expect(kept({ keepLast: 2 })).toEqual(['2026-11-29T02:30', '2026-11-28T14:00']);
    expect(kept({ keepDaily: 3 })).toEqual(['2026-11-29T02:30', '2026-11-28T14:00', '2026-11-27T02:30']);
    // 2026-11-29 is a Sunday: weeks 48 (23–29 Nov), 47 (16–22 Nov), 44 (Oct 31).
    expect(kept({ keepWeekly: 3 })).toEqual(['2026-11-29T02:30', '2026-11-20T02:30', '2026-10-31T02:30']);
    expect(kept({ keepMonthly: 2 })).toEqual(['2026-11-29T02:30', '2026-10-31T02:30']);
    const both = applyPolicy(snapshots, { keepLast: 1, keepMonthly: 3 });
    expect(both.keep.map((item) => [item.snapshot.time.slice(0, 10), item.reasons])).toEqual([
      ['2026-11-29', ['last', 'monthly']],
      ['2026-10-31', ['monthly']],
      ['2026-09-30', ['monthly']],
    ]);
    expect(both.remove).toHaveLength(4);
  });

  it('refuses an empty policy instead of removing every snapshot', () => {
    expect(() => applyPolicy(snapshots, {})).toThrow(expect.objectContaining({ code: 'backup.usage' }));
    expect(() => applyPolicy(snapshots, { keepLast: 0 })).toThrow(expect.objectContaining({ code: 'backup.usage' }));
  });
});

describe('forget and prune on a real repository (S3/RGW)', () => {
  let source: ServiceFixture;
  let keys: BackupKeys;
  let location: RepositoryLocation;
  let repository: BackupRepository;
  let auth: Record<string, string>;
  let upload: (size: number, type?: string) => Promise<Document>;

  const backUp = async () =>
    backUpService(source, repository);

  beforeAll(async () => {
    ({ source, auth, upload } = await uploadingService());
    keys = await backupKeys();
    location = await s3RepositoryLocation();
    repository = (await initRepository(location.storage, [keys.publicKey], source.config.dataDir)).repository;
  });
  afterAll(async () => {
    await source?.close();
    await location?.close();
    await keys?.close();
  });

  it('prunes only what no remaining snapshot references; every remaining snapshot verifies and restores', async () => {
    // Without a legal minimum (`other`): it can be deleted and purged.
    const early = await upload(30_000, 'other');
    await backUp();
    await upload(40_000);
    await backUp();
    // The early document goes to the trash and is purged: only the first two snapshots hold it.
    await source.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${early.id}`, headers: auth });
    expect(await source.service.documents.purge()).toBe(1);
    await upload(50_000);
    await backUp();
    await backUp();
    const before = await repository.snapshots();
    expect(before).toHaveLength(4);

    const dryRun = await forgetSnapshots(repository, { keepLast: 2 }, { prune: true, dryRun: true });
    expect(dryRun.removed).toHaveLength(2);
    expect(dryRun.pruned?.blobs).toBeGreaterThan(0);
    expect(await repository.snapshots()).toHaveLength(4);

    const result = await forgetSnapshots(repository, { keepLast: 2 }, { prune: true });
    expect(result.removed.map((snapshot) => snapshot.id)).toEqual([before[1]?.id, before[0]?.id]);
    // The early document's blob, and the old dumps and manifests.
    expect(result.pruned?.blobs).toBe(dryRun.pruned?.blobs);
    const remaining = await repository.snapshots();
    expect(remaining.map((snapshot) => snapshot.id)).toEqual([before[2]?.id, before[3]?.id]);
    const referenced = new Set(remaining.flatMap((snapshot) => snapshot.blobs.map(([name]) => name)));
    const present: string[] = [];
    for await (const blob of repository.blobs()) present.push(blob.name);
    expect(new Set(present)).toEqual(referenced);
    const verified = await verifyRepository({ repository, readData: true, keys: [keys.privateKey] });
    expect(verified.problems).toEqual([]);
    for (const snapshot of remaining) {
      const dir = await mkdtemp(join(tmpdir(), 'docstore-retention-'));
      const { db } = openDatabase({ dialect: 'sqlite', path: join(dir, 'db.sqlite') });
      try {
        const summary = await restoreSnapshot({ repository, snapshot, keys: [keys.privateKey], storage: await LocalObjectStorage.open({ root: join(dir, 'objects') }), db });
        expect(summary).toMatchObject({ documents: 2, failures: [] });
      } finally {
        await db.destroy();
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it('a running backup (shared lock) blocks forget; a stale lock does not; backups share', async () => {
    const shared = await RepositoryLock.acquire(location.storage, 'shared');
    try {
      await expect(forgetSnapshots(repository, { keepLast: 5 })).rejects.toMatchObject({ code: 'backup.locked' });
      const second = await RepositoryLock.acquire(location.storage, 'shared');
      await second.release();
      expect((await backUp()).uploaded).toBe(0);
    } finally {
      await shared.release();
    }
    const exclusive = await RepositoryLock.acquire(location.storage, 'exclusive');
    try {
      await expect(backUp()).rejects.toMatchObject({ code: 'backup.locked' });
    } finally {
      await exclusive.release();
    }
    // A lock whose holder stopped refreshing it 31 minutes ago (another host) is ignored and removed.
    const old = new Date(Date.now() - STALE_AFTER_MS - 60_000);
    await location.storage.put('locks/deadbeefdeadbeef', JSON.stringify({ kind: 'shared', host: 'another-host', pid: 1, time: old.toISOString() }));
    await forgetSnapshots(repository, { keepLast: 5 });
    expect(await location.storage.exists('locks/deadbeefdeadbeef')).toBe(false);
    const locks: string[] = [];
    for await (const entry of location.storage.list({ prefix: 'locks/' })) locks.push(entry.kind === 'object' ? entry.key : entry.prefix);
    expect(locks).toEqual([]);
  });
});
