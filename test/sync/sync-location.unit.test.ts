import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type DocstoreConfig } from '../../src/config.js';
import { isStorageError } from '../../src/storage/storage-errors.js';
import { mirror } from '../../src/sync/mirror.js';
import { SyncError } from '../../src/sync/sync-errors.js';
import { openLocation, parseLocation, storageConfigOf } from '../../src/sync/sync-location.js';

const JWT_SECRET = 'a-test-secret-of-at-least-thirty-two-characters';

describe('mirror, verify and backup locations are built by the storage factory', () => {
  let base: string;
  let dataDir: string;
  let config: DocstoreConfig;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'docstore-location-'));
    dataDir = join(base, 'data');
    await mkdir(dataDir);
    config = loadConfig({ DATA_DIR: dataDir, DOCSTORE_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'silent' });
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('a file:// destination is created, signs no links and reads or creates no signing secret', async () => {
    const root = join(base, 'copy');
    const location = await openLocation(pathToFileURL(root).href, config, 'destination', {});
    try {
      expect((await stat(root)).isDirectory()).toBe(true);
      await location.storage.put('a/b', 'bytes');
      const refused = await location.storage.presignGet('a/b', { expiresInSeconds: 60 }).catch((error: unknown) => error);
      expect(isStorageError(refused) && refused.code).toBe('storage.unavailable');
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await location.close();
    }
  });

  it('a read-only (dry-run) destination creates nothing and lists as empty', async () => {
    const root = join(base, 'absent');
    const location = await openLocation(pathToFileURL(root).href, config, 'destination', {}, { readOnly: true });
    const listed = [];
    for await (const entry of location.storage.list()) listed.push(entry);
    expect(listed).toEqual([]);
    await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
    await location.close();
  });

  it('a location takes the decorators of the factory: an injected listing failure stops a mirror before any deletion', async () => {
    const sourceRoot = join(base, 'source');
    const source = await openLocation(pathToFileURL(sourceRoot).href, config, 'destination', {});
    await source.storage.put('kept', 'source bytes');
    const destination = await openLocation(pathToFileURL(join(base, 'destination')).href, config, 'destination', {});
    await destination.storage.put('extra', 'destination bytes');
    const failing = await openLocation(pathToFileURL(sourceRoot).href, config, 'source', {}, { faults: { failCall: 1, operations: ['list'] } });
    const failure = await mirror(failing.storage, destination.storage, { delete: true, maxDelete: 10 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SyncError);
    expect((failure as SyncError).code).toBe('sync.listing_failed');
    expect(await destination.storage.exists('extra')).toBe(true);
    await Promise.all([source.close(), destination.close(), failing.close()]);
  });

  it('an s3:// location is the S3 storage configuration of its remote: its bucket and prefix, never created', () => {
    const env = { DOCSTORE_REMOTE_OFFSITE_ENDPOINT: 'http://127.0.0.1:9', DOCSTORE_REMOTE_OFFSITE_ACCESS_KEY: 'access', DOCSTORE_REMOTE_OFFSITE_SECRET_KEY: 'secret', DOCSTORE_REMOTE_OFFSITE_PATH_STYLE: 'true' };
    const spec = parseLocation('s3://offsite@archive-bucket/docstore', env);
    if (spec.kind !== 's3') throw new Error(`parsed as ${spec.kind}`);
    expect(storageConfigOf(spec)).toEqual({
      backend: 's3',
      endpoint: 'http://127.0.0.1:9',
      bucket: 'archive-bucket',
      region: 'us-east-1',
      accessKeyId: 'access',
      secretAccessKey: 'secret',
      forcePathStyle: true,
      keyPrefix: 'docstore/',
      createBucket: false,
    });
  });
});
