import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { PartBufferPool } from '../../src/storage/s3/part-buffer-pool.js';
import { S3ObjectStorage } from '../../src/storage/s3/s3-object-storage.js';
import { uploadInParts, type PartUploadContext } from '../../src/storage/s3/s3-multipart-upload.js';
import { failure } from '../support/failure.js';
import { clientFor, testBucket } from '../support/s3-target.js';
import { s3Fixture } from '../support/storage-fixtures.js';
import { bytesOf, randomPrefix, readAll, sha256, streamOf } from '../support/streams.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

describe('PartBufferPool', () => {
  it('hands back given buffers, keeps at most maxIdleBuffers, drops buffers of another size', () => {
    const pool = new PartBufferPool(1024, 2);
    const [a, b, c] = [pool.take(), pool.take(), pool.take()];
    expect(a.length).toBe(1024);
    pool.give(a);
    pool.give(b);
    pool.give(c);
    pool.give(Buffer.alloc(10));
    expect(pool.idleBuffers).toBe(2);
    expect([pool.take(), pool.take()]).toEqual(expect.arrayContaining([a, b]));
    expect(pool.take()).not.toBe(c);
  });
});

/** Remembers every buffer it handed out. */
class RecordingPool extends PartBufferPool {
  readonly taken = new Set<Buffer>();
  override take(): Buffer {
    const buffer = super.take();
    this.taken.add(buffer);
    return buffer;
  }
}

describe('S3ObjectStorage options', () => {
  it('refuses a part size under the S3 minimum and a queue of no part, naming the option', () => {
    const client = clientFor(inject('s3'));
    try {
      expect(() => new S3ObjectStorage({ client, bucket: 'b', partSizeBytes: PART - 1 })).toThrow(/partSizeBytes must be at least 5 MiB/);
      for (const queueSize of [0, 1.5, -1]) expect(() => new S3ObjectStorage({ client, bucket: 'b', queueSize })).toThrow(/queueSize must be a whole number of at least 1/);
      expect(() => new S3ObjectStorage({ client, bucket: 'b', partSizeBytes: PART, queueSize: 1 })).not.toThrow();
    } finally {
      client.destroy();
    }
  });
});

describe('uploadInParts on RGW', () => {
  let client: S3Client;
  let bucket: string;
  beforeAll(async () => {
    const target = inject('s3');
    client = clientFor(target);
    bucket = await testBucket(target, client);
  });
  afterAll(() => client?.destroy());

  const contextWith = (buffers: PartBufferPool, send: PartUploadContext['send'] = (command) => client.send(command as never) as never): PartUploadContext => ({
    send,
    abort: (command) => client.send(command),
    buffers,
    queueSize: 2,
    sse: { mode: 'none' },
  });
  const stored = async (key: string) => {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const body = await readAll((await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable);
    return { sha256: sha256(body), parts: Number(/-(\d+)"?$/.exec(head.ETag ?? '')?.[1] ?? 1) };
  };
  const incompleteUploads = async (key: string) =>
    ((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }))).Uploads ?? []).length;
  async function* chunksOf(bytes: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
    for (let offset = 0, i = 0; offset < bytes.length; i++) {
      const size = sizes[i % sizes.length] as number;
      yield new Uint8Array(bytes.buffer, bytes.byteOffset + offset, Math.min(size, bytes.length - offset));
      offset += size;
    }
  }

  it('a stream in chunks that straddle parts: stored whole, in 5 MiB parts, its buffers back in the pool for the next upload', async () => {
    const pool = new RecordingPool(PART, 3);
    const bytes = bytesOf(12 * MiB + 12_345);
    const key = `${randomPrefix()}/straddling`;
    await uploadInParts(contextWith(pool), { Bucket: bucket, Key: key }, chunksOf(bytes, [1, 3 * MiB + 7, 65_536, 2 * MiB - 1]));
    expect(await stored(key)).toEqual({ sha256: sha256(bytes), parts: 3 });
    expect(pool.taken.size).toBeLessThanOrEqual(3);
    const again = bytesOf(11 * MiB, 7);
    await uploadInParts(contextWith(pool), { Bucket: bucket, Key: key }, chunksOf(again, [PART + 1]));
    expect(await stored(key)).toEqual({ sha256: sha256(again), parts: 3 });
    // Six parts through at most queueSize + 1 buffers, all back in the pool.
    expect(pool.taken.size).toBeLessThanOrEqual(3);
    expect(pool.idleBuffers).toBe(pool.taken.size);
  }, 60_000);

  it('a stream of exactly two parts sends no empty third', async () => {
    const pool = new PartBufferPool(PART, 3);
    const key = `${randomPrefix()}/exact`;
    const bytes = bytesOf(2 * PART);
    await uploadInParts(contextWith(pool), { Bucket: bucket, Key: key }, chunksOf(bytes, [MiB]));
    expect(await stored(key)).toEqual({ sha256: sha256(bytes), parts: 2 });

  }, 60_000);

  it('bytes in memory go as slices of themselves (no pool buffer taken)', async () => {
    const pool = new RecordingPool(PART, 3);
    const key = `${randomPrefix()}/in-memory`;
    const bytes = bytesOf(11 * MiB);
    await uploadInParts(contextWith(pool), { Bucket: bucket, Key: key }, bytes);
    expect(await stored(key)).toEqual({ sha256: sha256(bytes), parts: 3 });
    expect(pool.taken.size).toBe(0);
  }, 60_000);

  it('a part the server refuses: the upload is aborted after the parts in flight, nothing is stored, the error is the part\'s', async () => {
    const pool = new RecordingPool(PART, 3);
    const key = `${randomPrefix()}/refused`;
    let parts = 0;
    const refusing: PartUploadContext['send'] = async (command) => {
      // The third part goes to an upload id the server does not know: RGW answers NoSuchUpload.
      if (command instanceof UploadPartCommand && ++parts === 3) return client.send(new UploadPartCommand({ ...command.input, UploadId: 'unknown' })) as never;
      return client.send(command as never) as never;
    };
    const error = await failure(uploadInParts(contextWith(pool, refusing), { Bucket: bucket, Key: key }, chunksOf(bytesOf(22 * MiB), [MiB])));
    expect((error as { name?: string }).name).toBe('NoSuchUpload');
    expect(await incompleteUploads(key)).toBe(0);
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
    // The refused part's buffer is not reused; those of stored parts are.
    expect(pool.idleBuffers).toBe(pool.taken.size - 1);
  }, 60_000);

  it('a body that fails midway: the upload is aborted, nothing is stored, the body\'s error surfaces', async () => {
    const pool = new RecordingPool(PART, 3);
    const key = `${randomPrefix()}/broken-body`;
    const broken = new Error('body broke');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield* chunksOf(bytesOf(11 * MiB), [MiB]);
      throw broken;
    }
    expect(await failure(uploadInParts(contextWith(pool), { Bucket: bucket, Key: key }, failing()))).toBe(broken);
    expect(await incompleteUploads(key)).toBe(0);
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
    // Stored parts and the one being filled go back to the pool.
    expect(pool.idleBuffers).toBe(pool.taken.size);
  }, 60_000);
});

describe('S3ObjectStorage.removeStaleUploads on RGW', () => {
  it('removes incomplete uploads under the key prefix and temporary objects once they are older than the limit, never an unfinished resumable upload', async () => {
    const keyPrefix = `${randomPrefix()}/`;
    const fixture = await s3Fixture({ keyPrefix });
    const client = clientFor(inject('s3'));
    try {
      const { bucket, storage } = fixture;
      await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${keyPrefix}org/building/minutes.pdf` }));
      await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${keyPrefix}\\docstore-tmp/interrupted` }));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${keyPrefix}\\docstore-tmp/left-behind`, Body: 'partial' }));
      const outside = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `other-${keyPrefix}minutes.pdf` }));
      // An unfinished resumable upload lives a day and expires on its own: a restart leaves it.
      const resumable = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${keyPrefix}tus-uploads/0123456789abcdef0123456789abcdef` }));
      expect(await storage.removeStaleUploads(3_600_000, new Date())).toBe(0);
      expect(await fixture.leftovers()).toHaveLength(4);
      expect(await storage.removeStaleUploads(3_600_000, new Date(Date.now() + 2 * 3_600_000))).toBe(3);
      expect(await fixture.leftovers()).toEqual([`upload:${keyPrefix}tus-uploads/0123456789abcdef0123456789abcdef`]);
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: `${keyPrefix}tus-uploads/0123456789abcdef0123456789abcdef`, UploadId: resumable.UploadId as string }));
      expect(await fixture.leftovers()).toEqual([]);
      // Another prefix's upload is not this storage's to remove.
      expect((await storage.incompleteUploads(`other-${keyPrefix}`)).map((upload) => upload.uploadId)).toEqual([outside.UploadId]);
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: `other-${keyPrefix}minutes.pdf`, UploadId: outside.UploadId as string }));
    } finally {
      client.destroy();
      await fixture.close();
    }
  }, 60_000);
});

describe('S3ObjectStorage long streams on RGW', () => {
  it('with a known SHA-256: multipart straight to the key, no temporary object, no copy; a mismatch completes nothing', async () => {
    const target = inject('s3');
    const client = clientFor(target);
    const commands: string[] = [];
    client.middlewareStack.add((next, context) => (args) => {
      commands.push(context.commandName as string);
      return next(args);
    });
    try {
      const storage = new S3ObjectStorage({ client, bucket: await testBucket(target, client), keyPrefix: `${randomPrefix()}/` });
      const bytes = bytesOf(12 * MiB, 3);
      commands.length = 0;
      await storage.put('known', streamOf(bytes), { expectedSha256: sha256(bytes) });
      expect(commands.filter((name) => name !== 'UploadPartCommand')).toEqual(['CreateMultipartUploadCommand', 'CompleteMultipartUploadCommand', 'HeadObjectCommand']);
      expect((await storage.stat('known')).sha256).toBe(sha256(bytes));

      commands.length = 0;
      await expect(storage.put('known', streamOf(bytesOf(12 * MiB, 4)), { expectedSha256: sha256(bytes) })).rejects.toMatchObject({ code: 'storage.integrity' });
      expect(commands).not.toContain('CompleteMultipartUploadCommand');
      expect(commands).toContain('AbortMultipartUploadCommand');
      expect(sha256(await readAll((await storage.get('known')).body))).toBe(sha256(bytes));

      commands.length = 0;
      await storage.put('unknown', streamOf(bytes));
      expect(commands).toContain('CopyObjectCommand');
      expect(await storage.incompleteUploads()).toEqual([]);
    } finally {
      client.destroy();
    }
  }, 60_000);
});
