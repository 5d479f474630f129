import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupRepository } from '../../src/backup/repository/backup-repository.js';
import { initRepository } from '../../src/backup/backup-setup.js';
import { backUpService, backupKeys, localRepositoryLocation, type BackupKeys, type RepositoryLocation } from '../support/backup-fixture.js';
import { localSqliteService, type ServiceFixture } from '../support/service-fixture.js';
import { bytesOf } from '../support/streams.js';

describe('backup of identical contents', () => {
  let source: ServiceFixture;
  let keys: BackupKeys;
  let location: RepositoryLocation;
  let repository: BackupRepository;

  beforeAll(async () => {
    source = await localSqliteService();
    keys = await backupKeys();
    location = await localRepositoryLocation();
    repository = (await initRepository(location.storage, [keys.publicKey], source.config.dataDir)).repository;
  });
  afterAll(async () => {
    await source?.close();
    await location?.close();
    await keys?.close();
  });

  it('uploads one blob for objects with the same content, even those read at the same time', async () => {
    const content = bytesOf(300 * 1024, 42);
    for (let i = 0; i < 12; i++) await source.service.storage.put(`same/copy-${i}`, content);
    const summary = await backUpService(source, repository, { concurrency: 6 });
    expect(summary).toMatchObject({ objects: 12, uploaded: 1, reused: 11 });
    const blobs: string[] = [];
    for await (const blob of repository.blobs()) blobs.push(blob.name);
    // The content's blob, the database dump and the manifest.
    expect(blobs).toHaveLength(3);
  });
});
