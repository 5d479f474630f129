import { randomBytes } from 'node:crypto';
import { GetBucketAclCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import type { S3StorageConfig } from '../../src/storage/storage-config.js';
import { createObjectStorage } from '../../src/storage/create-object-storage.js';
import { isStorageError } from '../../src/storage/storage-errors.js';
import { freePort } from '../support/free-port.js';
import { clientFor, testBucket } from '../support/s3-target.js';

const target = inject('s3');

function s3Config(overrides: Partial<S3StorageConfig> = {}): S3StorageConfig {
  return {
    backend: 's3',
    endpoint: target.endpoint,
    bucket: target.bucket,
    region: target.region,
    accessKeyId: target.accessKeyId,
    secretAccessKey: target.secretAccessKey,
    forcePathStyle: target.forcePathStyle,
    keyPrefix: '',
    createBucket: false,
    ...overrides,
  };
}

async function prepareCode(config: S3StorageConfig): Promise<string | undefined> {
  const { prepare } = await createObjectStorage(config, { publicBaseUrl: 'http://127.0.0.1:1', dataDir: '/nonexistent' });
  return prepare().then(
    () => undefined,
    (error: unknown) => (isStorageError(error) ? error.code : String(error)),
  );
}

describe('S3 start-up check', () => {
  it('succeeds on a usable bucket', async () => {
    const client = clientFor(target);
    const bucket = await testBucket(target, client);
    client.destroy();
    expect(await prepareCode(s3Config({ bucket }))).toBeUndefined();
  });

  it('tells an unreachable endpoint apart', async () => {
    expect(await prepareCode(s3Config({ endpoint: `http://127.0.0.1:${await freePort()}` }))).toBe('storage.unavailable');
  });

  it('tells bad credentials apart', async () => {
    expect(await prepareCode(s3Config({ secretAccessKey: 'not-the-secret' }))).toBe('storage.invalid_credentials');
    expect(await prepareCode(s3Config({ accessKeyId: 'no-such-access-key' }))).toBe('storage.invalid_credentials');
  });

  it('tells a missing bucket apart, and creates it, private, only when asked to', async () => {
    const bucket = `docstore-missing-${randomBytes(4).toString('hex')}`;
    expect(await prepareCode(s3Config({ bucket }))).toBe('storage.bucket_not_found');
    const client = clientFor(target);
    await expect(client.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toThrow();
    expect(await prepareCode(s3Config({ bucket, createBucket: true }))).toBeUndefined();
    const acl = await client.send(new GetBucketAclCommand({ Bucket: bucket }));
    const publicGrants = (acl.Grants ?? []).filter((grant) => grant.Grantee?.URI?.includes('AllUsers') || grant.Grantee?.URI?.includes('AuthenticatedUsers'));
    expect(publicGrants).toEqual([]);
    client.destroy();
  });

  it('tells missing permissions apart (another user\'s bucket)', async () => {
    expect(target.otherAccessKeyId, 'the test S3 server provides a second user (S3_TEST_OTHER_ACCESS_KEY)').toBeDefined();
    const client = clientFor(target);
    const bucket = await testBucket(target, client);
    client.destroy();
    expect(
      await prepareCode(s3Config({ bucket, accessKeyId: target.otherAccessKeyId as string, secretAccessKey: target.otherSecretAccessKey as string })),
    ).toBe('storage.permission_denied');
  });
});
