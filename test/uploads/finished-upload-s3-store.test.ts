import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { AbortMultipartUploadCommand, DeleteObjectsCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@tus/server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FinishedUploadS3Store } from '../../src/uploads/stores/finished-upload-s3-store.js';
import { clientFor, testBucket } from '../support/s3-target.js';
import { bytesOf, randomPrefix, readAll } from '../support/streams.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

/** The store, with its S3 client's commands counted by name (the SDK's middleware stack). */
class CountedStore extends FinishedUploadS3Store {
  readonly sent = new Map<string, number>();

  constructor(...args: ConstructorParameters<typeof FinishedUploadS3Store>) {
    super(...args);
    this.client.middlewareStack.add(
      (next, context) => async (request) => {
        const name = context.commandName ?? '?';
        this.sent.set(name, (this.sent.get(name) ?? 0) + 1);
        return next(request);
      },
      { step: 'initialize', name: 'testCountCommands' },
    );
  }

  /** The commands sent since the last call, by name. */
  drain(): Record<string, number> {
    const counts = Object.fromEntries(this.sent);
    this.sent.clear();
    return counts;
  }
}

/**
 * One `PATCH` as docstore's route and `@tus/server`'s handler run it on the store, in one request
 * scope: the admission's read, then the upload read (under the lock), the offsets compared (409
 * when they differ), the body written.
 */
async function patch(store: FinishedUploadS3Store, id: string, offset: number, body: Buffer | Readable, bytes = Buffer.isBuffer(body) ? body.length : 0): Promise<number | 'conflict'> {
  return store.withRequestCache(() =>
    store.withDeclaredWrite({ bytes, offset }, async () => {
      await store.getUploadMetadata(id, offset);
      const upload = await store.getUpload(id);
      if (upload.offset !== offset) return 'conflict';
      return store.write(Buffer.isBuffer(body) ? Readable.from([body]) : body, id, offset);
    }),
  );
}

/** A body that sends `bytes` of `content` and then fails, as a cut connection does. */
function cutAfter(content: Buffer, bytes: number): Readable {
  return new Readable({
    read() {
      this.push(content.subarray(0, bytes));
      this.destroy(new Error('connection reset'));
    },
  });
}

describe('tus parts on S3 (RGW): a PATCH at the offset the store last left writes without listing the parts', () => {
  const target = inject('s3');
  let client: S3Client;
  let bucket: string;
  let prefix: string;
  const storeOf = () =>
    new CountedStore(
      {
        partSize: PART,
        expirationPeriodInMilliseconds: 3_600_000,
        s3ClientConfig: {
          bucket,
          region: target.region,
          endpoint: target.endpoint,
          forcePathStyle: target.forcePathStyle,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
        },
      },
      prefix,
    );

  async function created(store: FinishedUploadS3Store, size: number): Promise<string> {
    const id = `${prefix}${randomBytes(16).toString('hex')}`;
    await store.create(new Upload({ id, size, offset: 0, metadata: {}, creation_date: new Date().toISOString() }));
    return id;
  }

  /** An upload begun on `first` (its first part), then resumed on `second`: a HEAD there, then its PATCH of `content` up to `until`. */
  async function resumedElsewhere(first: FinishedUploadS3Store, second: FinishedUploadS3Store, content: Buffer, until: number): Promise<string> {
    const id = await created(first, content.length);
    expect(await patch(first, id, 0, content.subarray(0, PART))).toBe(PART);
    expect((await second.withRequestCache(() => second.getUpload(id))).offset).toBe(PART);
    expect(await patch(second, id, PART, content.subarray(PART, until))).toBe(until);
    return id;
  }

  async function object(id: string): Promise<Buffer> {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: id }));
    return readAll(Body as Readable);
  }

  beforeAll(async () => {
    client = clientFor(target);
    bucket = await testBucket(target, client);
    prefix = `${randomPrefix()}/tus-uploads/`;
  });
  afterAll(async () => {
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
    for (const upload of uploads.Uploads ?? []) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const keys = (listed.Contents ?? []).map((item) => ({ Key: item.Key as string }));
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    client.destroy();
  });

  it('lists the parts once, then each whole part is one UploadPart, and the completion names the parts it wrote', async () => {
    const store = storeOf();
    const content = bytesOf(2 * PART + 1000, 7);
    const id = await created(store, content.length);
    store.drain();
    expect(await patch(store, id, 0, content.subarray(0, PART))).toBe(PART);
    // The first PATCH knows nothing of the upload yet: its .info, its parts, its incomplete part.
    expect(store.drain()).toEqual({ GetObjectCommand: 1, ListPartsCommand: 1, HeadObjectCommand: 1, UploadPartCommand: 1 });
    // The next ones, at the offset the store left: one UploadPart each, the .info read with the parts.
    expect(await patch(store, id, PART, content.subarray(PART, 2 * PART))).toBe(2 * PART);
    expect(store.drain()).toEqual({ UploadPartCommand: 1 });
    expect(await patch(store, id, 2 * PART, content.subarray(2 * PART))).toBe(content.length);
    expect(store.drain()).toEqual({ UploadPartCommand: 1, CompleteMultipartUploadCommand: 1 });
    expect(store.sent.get('ListPartsCommand')).toBeUndefined();
    expect((await object(id)).equals(content)).toBe(true);
  });

  it('a PATCH at another offset reads the parts from S3 and conflicts as tus says; a HEAD always reads them', async () => {
    const store = storeOf();
    const content = bytesOf(2 * PART, 8);
    const id = await created(store, content.length);
    expect(await patch(store, id, 0, content.subarray(0, PART))).toBe(PART);
    store.drain();
    expect(await patch(store, id, 0, content.subarray(0, PART))).toBe('conflict');
    expect(store.drain()).toMatchObject({ ListPartsCommand: 1 });
    const head = await store.withRequestCache(() => store.getUpload(id));
    expect(head.offset).toBe(PART);
    expect(store.drain()).toMatchObject({ ListPartsCommand: 1, HeadObjectCommand: 1 });
  });

  it('another instance’s parts are read, not assumed: a resume there and back again finishes with every byte', async () => {
    const first = storeOf();
    const second = storeOf();
    const content = bytesOf(3 * PART + 10, 9);
    // The client resumes on the other instance (HEAD there, then its PATCH), then comes back.
    const id = await resumedElsewhere(first, second, content, 2 * PART);
    first.drain();
    expect(await patch(first, id, 2 * PART, content.subarray(2 * PART, 3 * PART))).toBe(3 * PART);
    expect(first.drain()).toMatchObject({ ListPartsCommand: 1, UploadPartCommand: 1 });
    expect(await patch(first, id, 3 * PART, content.subarray(3 * PART))).toBe(content.length);
    expect((await object(id)).equals(content)).toBe(true);
  });

  it('a client that sends an offset it has passed elsewhere rewrites that part: S3 assembles exactly the bytes this instance last wrote at each offset', async () => {
    const first = storeOf();
    const second = storeOf();
    const content = bytesOf(3 * PART, 10);
    const id = await resumedElsewhere(first, second, content, 2 * PART);
    // Back on the first instance at the offset it last left (tus would answer 409 there, as the
    // second instance does): its part 2 is written again, here with other bytes.
    const other = bytesOf(PART, 11);
    expect(await patch(first, id, PART, other)).toBe(2 * PART);
    expect(await patch(second, id, PART, other)).toBe('conflict');
    expect(await patch(first, id, 2 * PART, content.subarray(2 * PART))).toBe(content.length);
    expect((await object(id)).equals(Buffer.concat([content.subarray(0, PART), other, content.subarray(2 * PART)]))).toBe(true);
  });

  it('an upload completed or removed through another instance meanwhile: 409 or 404 as tus would answer, nothing written', async () => {
    const first = storeOf();
    const second = storeOf();
    const content = bytesOf(2 * PART, 13);
    const completed = await resumedElsewhere(first, second, content, content.length);
    // The first still knows the upload at PART: admitted there, its part finds the upload complete.
    await expect(patch(first, completed, PART, content.subarray(PART))).rejects.toMatchObject({ status_code: 409 });
    expect((await object(completed)).equals(content)).toBe(true);
    const removed = await created(first, content.length);
    expect(await patch(first, removed, 0, content.subarray(0, PART))).toBe(PART);
    await second.remove(removed);
    await expect(patch(first, removed, PART, content.subarray(PART))).rejects.toMatchObject({ status_code: 404 });
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: removed }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('a part cut mid-way keeps nothing: the store reads the parts again, and the chunk sent again completes', async () => {
    const store = storeOf();
    const content = bytesOf(2 * PART, 12);
    const id = await created(store, content.length);
    expect(await patch(store, id, 0, content.subarray(0, PART))).toBe(PART);
    store.drain();
    await expect(patch(store, id, PART, cutAfter(content.subarray(PART), 1000), PART)).rejects.toThrow();
    expect(store.drain()).toMatchObject({ UploadPartCommand: 1, GetObjectCommand: 1, ListPartsCommand: 1 });
    expect(await patch(store, id, PART, content.subarray(PART))).toBe(content.length);
    expect(store.drain()).toEqual({ UploadPartCommand: 1, CompleteMultipartUploadCommand: 1 });
    expect((await object(id)).equals(content)).toBe(true);
  });
});
