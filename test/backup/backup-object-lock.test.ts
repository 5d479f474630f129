import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackupRepository } from '../../src/backup/repository/backup-repository.js';
import { forgetSnapshots } from '../../src/backup/backup-retention.js';
import { initRepository } from '../../src/backup/backup-setup.js';
import { verifyRepository } from '../../src/backup/backup-verify.js';
import type { Document } from '../../src/shared/document.js';
import { S3ObjectStorage } from '../../src/storage/s3/s3-object-storage.js';
import { backUpService, backupKeys, uploadingService, type BackupKeys } from '../support/backup-fixture.js';
import { createTestBucket, lockingClientFor, removeTestBucket, versionsOf } from '../support/object-lock-buckets.js';
import type { ServiceFixture } from '../support/service-fixture.js';

/**
 * `backup forget --prune` in a repository on a bucket with Object Lock (Ceph RGW): what the storage
 * refuses to delete is left in place and counted as failed, never forced; once released, the next
 * prune removes it with all its versions.
 */
describe('forget --prune in a repository with Object Lock (S3/RGW)', () => {
  let source: ServiceFixture;
  let keys: BackupKeys;
  let client: S3Client;
  let bucket: string;
  let storage: S3ObjectStorage;
  let repository: BackupRepository;
  let auth: Record<string, string>;
  let upload: (size: number, type?: string) => Promise<Document>;
  const prefix = `backups-${randomBytes(4).toString('hex')}/`;

  beforeAll(async () => {
    ({ source, auth, upload } = await uploadingService());
    keys = await backupKeys();
    client = lockingClientFor(inject('s3'));
    bucket = await createTestBucket(client);
    storage = new S3ObjectStorage({ client, bucket, keyPrefix: prefix, objectLock: 'governance' });
    repository = (await initRepository(storage, [keys.publicKey], source.config.dataDir)).repository;
  });
  afterAll(async () => {
    await source?.close();
    await keys?.close();
    if (bucket !== undefined) await removeTestBucket(client, bucket);
    client?.destroy();
  });

  it('a held blob is kept and reported; released, the next prune removes it and its versions', async () => {
    // 'other' has no legal minimum: the purge may remove it.
    const early = await upload(30_000, 'other');
    await backUpService(source, repository);
    await source.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${early.id}`, headers: auth });
    expect(await source.service.documents.purge()).toBe(1);
    await upload(40_000, 'other');
    await backUpService(source, repository);
    const [first, second] = await repository.snapshots();
    const kept = new Set(second?.blobs.map(([name]) => name));
    const unreferenced = (first?.blobs ?? []).map(([name]) => name).filter((name) => !kept.has(name));
    expect(unreferenced.length).toBeGreaterThan(0);
    const held = unreferenced[0] as string;
    await storage.setLegalHold(repository.blobKey(held), true);

    const result = await forgetSnapshots(repository, { keepLast: 1 }, { prune: true });
    expect(result.removed.map((snapshot) => snapshot.id)).toEqual([first?.id]);
    // `blobs` counts the unreferenced blobs attempted, `failed` those the storage refused.
    expect(result.pruned).toMatchObject({ blobs: unreferenced.length, failed: 1 });
    expect(await storage.exists(repository.blobKey(held))).toBe(true);
    expect((await verifyRepository({ repository, readData: true, keys: [keys.privateKey] })).problems).toEqual([]);

    await storage.setLegalHold(repository.blobKey(held), false);
    const again = await forgetSnapshots(repository, { keepLast: 1 }, { prune: true });
    expect(again.pruned).toMatchObject({ blobs: 1, failed: 0 });
    expect(await versionsOf(client, bucket, `${prefix}${repository.blobKey(held)}`)).toEqual([]);
  });
});
