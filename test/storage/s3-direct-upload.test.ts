import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { S3DirectUpload } from '../../src/storage/s3/s3-direct-upload.js';
import { S3ObjectStorage } from '../../src/storage/s3/s3-object-storage.js';
import type { S3ServerSideEncryption } from '../../src/storage/s3/s3-server-side-encryption.js';
import { isStorageError } from '../../src/storage/storage-errors.js';
import { failure } from '../support/failure.js';
import { createTestBucket, lockingClientFor, removeTestBucket } from '../support/object-lock-buckets.js';
import { clientFor, testBucket } from '../support/s3-target.js';
import { bytesOf, randomPrefix, readAll, sha256, streamOf } from '../support/streams.js';

const MiB = 1024 * 1024;

/** Counts the commands a client sends through the SDK's middleware stack, by name. */
function countingSdkCommands(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '?';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'testCountCommands' },
  );
  return counts;
}

describe('uploads straight to the endpoint, without the SDK request pipeline (RGW)', () => {
  let client: S3Client;
  let sdk: Map<string, number>;
  let bucket: string;
  let keyPrefix: string;
  beforeAll(async () => {
    const target = inject('s3');
    client = clientFor(target);
    bucket = await testBucket(target, client);
    sdk = countingSdkCommands(client);
    keyPrefix = `${randomPrefix()}/`;
  });
  afterAll(async () => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix }));
    const keys = (listed.Contents ?? []).map((object) => ({ Key: object.Key as string }));
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    client.destroy();
  });
  const storageWith = (serverSideEncryption?: S3ServerSideEncryption) =>
    new S3ObjectStorage({ client, bucket, keyPrefix, ...(serverSideEncryption === undefined ? {} : { serverSideEncryption }) });
  const sent = (command: string) => sdk.get(command) ?? 0;

  it('a put of a body in memory: stored with its description under a key that needs encoding, no PutObject through the SDK', async () => {
    const storage = storageWith();
    const key = `a b/c+d(e)!'*~ é/x%2F.pdf`;
    const bytes = bytesOf(300_000, 3);
    const before = sent('PutObjectCommand');
    const result = await storage.put(key, streamOf(bytes), {
      contentType: 'application/pdf',
      contentDisposition: 'attachment; filename="acte.pdf"',
      metadata: { building: 'Résidence Les Tilleuls', plain: 'yes' },
    });
    expect(sent('PutObjectCommand')).toBe(before);
    const info = await storage.stat(key);
    expect(info).toMatchObject({ size: bytes.length, sha256: sha256(bytes), etag: result.etag, contentType: 'application/pdf', contentDisposition: 'attachment; filename="acte.pdf"' });
    expect(info.metadata).toEqual({ building: 'Résidence Les Tilleuls', plain: 'yes' });
    expect(result.lastModified).toBeInstanceOf(Date);
    expect(sha256(await readAll((await storage.get(key)).body))).toBe(sha256(bytes));
  });

  it('the parts of a long stream whose SHA-256 is known go straight too; only the multipart calls go through the SDK', async () => {
    const storage = storageWith();
    const bytes = bytesOf(12 * MiB + 5, 4);
    const before = { parts: sent('UploadPartCommand'), created: sent('CreateMultipartUploadCommand') };
    await storage.put('long', streamOf(bytes), { expectedSha256: sha256(bytes) });
    expect({ parts: sent('UploadPartCommand'), created: sent('CreateMultipartUploadCommand') }).toEqual({ parts: before.parts, created: before.created + 1 });
    expect(sha256(await readAll((await storage.get('long')).body))).toBe(sha256(bytes));
  }, 60_000);

  it('under SSE-C the customer key travels with the direct put', async () => {
    const customerKey = randomBytes(32);
    const storage = storageWith({ mode: 'SSE-C', customerKey });
    const before = sent('PutObjectCommand');
    await storage.put('sse-c', 'under a customer key');
    expect(sent('PutObjectCommand')).toBe(before);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${keyPrefix}sse-c`, SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey.toString('base64') }));
    expect(head.SSECustomerAlgorithm).toBe('AES256');
    expect(isStorageError(await failure(storageWith().get('sse-c')))).toBe(true);
  });

  it('a direct upload the server refuses is sent again through the SDK, whose error is the put\'s', async () => {
    const storage = storageWith();
    await storage.put('taken', 'first');
    const before = sent('PutObjectCommand');
    const refused = await failure(storage.put('taken', 'second', { ifNoneMatch: '*' }));
    expect(isStorageError(refused) && refused.code).toBe('storage.precondition_failed');
    expect(sent('PutObjectCommand')).toBe(before + 1);
    expect(await readAll((await storage.get('taken')).body)).toEqual(Buffer.from('first'));
  });

  it('S3DirectUpload: bytes that do not hash to the signed SHA-256 are refused by the server and not stored; a parameter it does not know is left to the SDK', async () => {
    const direct = new S3DirectUpload(client, bucket, { contentMd5: false });
    const body = Buffer.from('the bytes sent');
    const key = `${keyPrefix}mismatch`;
    expect(await direct.upload({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length }, sha256(Buffer.from('other bytes')))).toBeUndefined();
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
    expect(await direct.upload({ Bucket: bucket, Key: key, Body: body, ACL: 'public-read' })).toBeUndefined();
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
    // Without a known SHA-256 the body is hashed here; another bucket than the client's is left to the SDK.
    expect(await direct.upload({ Bucket: bucket, Key: key, Body: body })).toMatchObject({ ETag: expect.any(String) });
    expect(await readAll((await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable)).toEqual(body);
    expect(await direct.upload({ Bucket: `${bucket}-other`, Key: key, Body: body })).toBeUndefined();
  });
});

describe('direct uploads under Object Lock (RGW)', () => {
  let client: S3Client;
  let bucket: string;
  beforeAll(async () => {
    client = lockingClientFor(inject('s3'));
    bucket = await createTestBucket(client);
  });
  afterAll(async () => {
    if (bucket !== undefined) await removeTestBucket(client, bucket);
    client?.destroy();
  });

  it('a put with a retention and a legal hold goes straight, with Content-MD5, and the version is locked as asked', async () => {
    const sdk = countingSdkCommands(client);
    const storage = new S3ObjectStorage({ client, bucket, objectLock: 'governance' });
    const retainUntil = new Date(Date.now() + 60_000);
    await storage.put('locked', 'kept', { retainUntil, legalHold: true });
    expect(sdk.get('PutObjectCommand') ?? 0).toBe(0);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'locked' }));
    expect(head).toMatchObject({ ObjectLockMode: 'GOVERNANCE', ObjectLockLegalHoldStatus: 'ON' });
    expect(Math.abs((head.ObjectLockRetainUntilDate as Date).getTime() - retainUntil.getTime())).toBeLessThan(1000);
  });
});
