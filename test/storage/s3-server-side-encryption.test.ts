import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { S3ObjectStorage } from '../../src/storage/s3/s3-object-storage.js';
import { isStorageError } from '../../src/storage/storage-errors.js';
import { clientFor, testBucket } from '../support/s3-target.js';
import { s3Fixture, type S3Fixture } from '../support/storage-fixtures.js';
import { failure } from '../support/failure.js';
import { bytesOf, randomPrefix, readAll, sha256, streamOf } from '../support/streams.js';

const MiB = 1024 * 1024;

describe('S3 server-side encryption on RGW', () => {
  const customerKey = randomBytes(32);
  let ssec: S3Fixture;
  let kms: S3Fixture;
  beforeAll(async () => {
    ssec = await s3Fixture({ serverSideEncryption: { mode: 'SSE-C', customerKey } });
    kms = await s3Fixture({ serverSideEncryption: { mode: 'aws:kms', kmsKeyId: 'docstore-test-kms' } });
  }, 60_000);
  afterAll(async () => {
    await ssec?.close();
    await kms?.close();
  });

  /** The same bucket without the customer key, or with another one. */
  function sameBucket(fixture: S3Fixture, serverSideEncryption?: { mode: 'SSE-C'; customerKey: Buffer }): S3ObjectStorage {
    const target = inject('s3');
    return new S3ObjectStorage({ client: clientFor(target), bucket: fixture.bucket, ...(serverSideEncryption === undefined ? {} : { serverSideEncryption }) });
  }

  it('SSE-C: the content (direct, streamed and copied) is stored under the customer key and unreadable without it', async () => {
    const prefix = randomPrefix();
    const small = bytesOf(1000, 1);
    const large = bytesOf(12 * MiB, 2);
    await ssec.storage.put(`${prefix}/small`, small);
    await ssec.storage.put(`${prefix}/large`, streamOf(large));
    await ssec.storage.copy(`${prefix}/large`, `${prefix}/copy`);
    const client = clientFor(inject('s3'));
    for (const name of ['small', 'large', 'copy']) {
      const head = await client.send(
        new HeadObjectCommand({ Bucket: ssec.bucket, Key: `${prefix}/${name}`, SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey.toString('base64') }),
      );
      expect(head.SSECustomerAlgorithm, name).toBe('AES256');
      const withoutKey = await failure(sameBucket(ssec).get(`${prefix}/${name}`));
      expect(isStorageError(withoutKey), name).toBe(true);
      // Another customer key: storage.key_unavailable, whether reading, inspecting or copying.
      const otherKey = sameBucket(ssec, { mode: 'SSE-C', customerKey: randomBytes(32) });
      const reads = [
        () => otherKey.get(`${prefix}/${name}`),
        () => otherKey.get(`${prefix}/${name}`, { range: { start: 0, end: 9 } }),
        () => otherKey.stat(`${prefix}/${name}`),
        () => otherKey.copy(`${prefix}/${name}`, `${prefix}/${name}-copy`),
      ];
      for (const read of reads) {
        const error = await failure(read());
        expect(isStorageError(error) && error.code, name).toBe('storage.key_unavailable');
        expect((error as Error).message).toContain('S3_SSE_C_KEY');
        expect((error as Error).message).not.toContain(customerKey.toString('base64'));
      }
      // It is there all the same: exists says so, and a create-only write onto it is refused as such.
      expect(await otherKey.exists(`${prefix}/${name}`), name).toBe(true);
      const createOnly = await failure(otherKey.put(`${prefix}/${name}`, streamOf(bytesOf(6 * MiB)), { ifNoneMatch: '*' }));
      expect(isStorageError(createOnly) && createOnly.code, name).toBe('storage.precondition_failed');
    }
    expect(sha256(await readAll((await ssec.storage.get(`${prefix}/copy`)).body))).toBe(sha256(large));
    const ranged = await ssec.storage.get(`${prefix}/large`, { range: { start: 5 * MiB, end: 5 * MiB + 99 } });
    expect(await readAll(ranged.body)).toEqual(large.subarray(5 * MiB, 5 * MiB + 100));
    client.destroy();
  }, 60_000);

  it('SSE-C: presigned links are served by docstore; a backend URL could not carry the key', async () => {
    const prefix = randomPrefix();
    await ssec.storage.put(`${prefix}/shared`, 'shared under SSE-C');
    expect(ssec.storage.capabilities.presignedUrlsServedByBackend).toBe(false);
    const url = await ssec.storage.presignGet(`${prefix}/shared`, { expiresInSeconds: 60 });
    expect(url).toContain('/api/v1/signed/');
    expect(await (await fetch(url)).text()).toBe('shared under SSE-C');
    const withoutSigner = sameBucket(ssec, { mode: 'SSE-C', customerKey });
    expect(isStorageError(await failure(withoutSigner.presignGet(`${prefix}/shared`, { expiresInSeconds: 60 })))).toBe(true);
  });

  it('SSE-KMS: direct, streamed and copied objects are encrypted under the configured KMS key', async () => {
    const prefix = randomPrefix();
    await kms.storage.put(`${prefix}/small`, 'kms');
    await kms.storage.put(`${prefix}/large`, streamOf(bytesOf(12 * MiB, 3)));
    await kms.storage.copy(`${prefix}/small`, `${prefix}/copy`);
    const client = clientFor(inject('s3'));
    for (const name of ['small', 'large', 'copy']) {
      const head = await client.send(new HeadObjectCommand({ Bucket: kms.bucket, Key: `${prefix}/${name}` }));
      expect({ name, sse: head.ServerSideEncryption, keyId: head.SSEKMSKeyId }).toEqual({ name, sse: 'aws:kms', keyId: 'docstore-test-kms' });
    }
    client.destroy();
  }, 60_000);

  it('SSE-KMS: an unknown KMS key id fails the put with a storage error and stores nothing', async () => {
    const target = inject('s3');
    const storage = new S3ObjectStorage({ client: clientFor(target), bucket: kms.bucket, serverSideEncryption: { mode: 'aws:kms', kmsKeyId: 'no-such-key' } });
    const key = `${randomPrefix()}/refused`;
    expect(isStorageError(await failure(storage.put(key, 'x')))).toBe(true);
    expect(await kms.storage.exists(key)).toBe(false);
  });
});

describe('S3 server-side encryption: start-up verification on RGW', () => {
  it('refuses S3_SSE=AES256 on a server that stores such objects unencrypted (RGW 16), accepts SSE-C and SSE-KMS', async () => {
    const target = inject('s3');
    const client = clientFor(target);
    const bucket = await testBucket(target, client);
    const storageWith = (serverSideEncryption: ConstructorParameters<typeof S3ObjectStorage>[0]['serverSideEncryption']) =>
      new S3ObjectStorage({ client, bucket, ...(serverSideEncryption === undefined ? {} : { serverSideEncryption }) });
    const refused = await failure(storageWith({ mode: 'AES256' }).verifyServerSideEncryption());
    expect(isStorageError(refused) && { code: refused.code, message: refused.message }).toEqual({
      code: 'storage.operation_failed',
      message: 'Storage operation check failed: the server accepted server-side encryption AES256 but stored the object unencrypted (Ceph RGW before 17 ignores AES256)',
    });
    await storageWith({ mode: 'SSE-C', customerKey: randomBytes(32) }).verifyServerSideEncryption();
    await storageWith({ mode: 'aws:kms', kmsKeyId: 'docstore-test-kms' }).verifyServerSideEncryption();
    await storageWith(undefined).verifyServerSideEncryption();
    // The probes (under the hidden temporary prefix) are gone.
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents ?? []).toEqual([]);
    client.destroy();
  });
});
