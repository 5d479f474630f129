import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeBatched, writeContent, type ContentFile } from '../../src/storage/local/local-content-writer.js';
import { ContentDigest } from '../../src/storage/put-body.js';
import { isStorageError } from '../../src/storage/storage-errors.js';
import { sha256 } from '../support/streams.js';

const MiB = 1024 * 1024;

/** A real open file whose flushes are observed: how many started, how many run at once at most. */
interface ObservedFile extends ContentFile {
  flushes: number;
  flushesInFlight: number;
  mostFlushesInFlight: number;
  bytesWritten: number;
}

/**
 * `handle` with its flushes observed; the `failingFlush`-th fails as a dying disk would, and each
 * waits for `beforeFlush` (a slow disk) before flushing.
 */
function observedFile(handle: FileHandle, options: { failingFlush?: number; beforeFlush?: () => Promise<void>; afterWrite?: (bytesWritten: number) => void } = {}): ObservedFile {
  const file: ObservedFile = {
    flushes: 0,
    flushesInFlight: 0,
    mostFlushesInFlight: 0,
    bytesWritten: 0,
    write: handle.write.bind(handle) as ContentFile['write'],
    writev: (async (buffers: Buffer[]) => {
      const result = await handle.writev(buffers);
      file.bytesWritten += result.bytesWritten;
      options.afterWrite?.(file.bytesWritten);
      return result;
    }) as ContentFile['writev'],
    datasync: async () => {
      file.flushes++;
      if (file.flushes === options.failingFlush) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      file.flushesInFlight++;
      file.mostFlushesInFlight = Math.max(file.mostFlushesInFlight, file.flushesInFlight);
      try {
        await options.beforeFlush?.();
        await handle.datasync();
      } finally {
        file.flushesInFlight--;
      }
    },
  };
  return file;
}

async function* chunksOf(bytes: Buffer, chunkBytes: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) yield bytes.subarray(offset, offset + chunkBytes);
}

describe('writeContent (the local adapter writing an object file)', () => {
  let base: string;
  let handle: FileHandle;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'docstore-content-writer-'));
    handle = await open(join(base, 'object'), 'wx', 0o600);
  });
  afterEach(async () => {
    await handle.close();
    await rm(base, { recursive: true, force: true });
  });

  // How many flushes a stream gets depends on the disk's speed (none starts while one is in
  // flight): what is promised is at least one before the stream ends, one at a time, at most one
  // per 8 MiB, and all of them done when the write is.
  it('writes and hashes a 20 MiB stream, flushing to disk while it arrives, not only at the end', async () => {
    const content = randomBytes(20 * MiB + 123);
    const file = observedFile(handle);
    const digest = new ContentDigest();
    let flushesBeforeTheEnd = -1;
    async function* source(): AsyncGenerator<Buffer> {
      yield* chunksOf(content, 64 * 1024);
      flushesBeforeTheEnd = file.flushes;
    }
    await writeContent(file, source(), digest, base);
    expect(flushesBeforeTheEnd).toBeGreaterThanOrEqual(1);
    expect(file.flushes).toBeLessThanOrEqual(2);
    expect(file.mostFlushesInFlight).toBe(1);
    expect(file.flushesInFlight).toBe(0);
    expect(digest.size).toBe(content.length);
    expect(digest.sha256()).toBe(sha256(content));
    expect((await readFile(join(base, 'object'))).equals(content)).toBe(true);
  });

  it('starts no flush while one is in flight, and returns only once that one is done', async () => {
    const content = randomBytes(20 * MiB);
    let release!: () => void;
    const slowDisk = new Promise<void>((resolve) => (release = resolve));
    let allWritten!: () => void;
    const written = new Promise<void>((resolve) => (allWritten = resolve));
    const file = observedFile(handle, { beforeFlush: () => slowDisk, afterWrite: (bytes) => bytes === content.length && allWritten() });
    let returned = false;
    const writing = writeContent(file, chunksOf(content, 64 * 1024), new ContentDigest(), base).then(() => void (returned = true));
    await written;
    // Every byte is written; the first flush (started at 8 MiB) is still held by the slow disk.
    await new Promise((resolve) => setImmediate(resolve));
    expect(returned).toBe(false);
    expect(file.flushes).toBe(1);
    release();
    await writing;
    expect(file.flushes).toBe(1);
    expect(file.mostFlushesInFlight).toBe(1);
    expect(file.flushesInFlight).toBe(0);
    expect((await readFile(join(base, 'object'))).equals(content)).toBe(true);
  });

  it('writes a small stream without an early flush (the final fsync is the caller’s)', async () => {
    const file = observedFile(handle);
    await writeContent(file, chunksOf(Buffer.from('minutes of the general assembly'), 4), new ContentDigest(), base);
    expect(file.flushes).toBe(0);
    expect(await readFile(join(base, 'object'), 'utf8')).toBe('minutes of the general assembly');
  });

  it('fails when an early flush of a stream fails, even though the later ones succeed', async () => {
    const file = observedFile(handle, { failingFlush: 1 });
    const failure = await writeContent(file, chunksOf(randomBytes(20 * MiB), 256 * 1024), new ContentDigest(), base).catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe('EIO');
    // The first flush fails at once, so nothing is in flight when 16 MiB are written: the second
    // one starts whatever the disk's speed.
    expect(file.flushes).toBe(2);
  });

  it('fails when the flush of 8 MiB or more in memory fails', async () => {
    const failure = await writeContent(observedFile(handle, { failingFlush: 1 }), randomBytes(8 * MiB), new ContentDigest(), base).catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe('EIO');
  });

  it('reports a short write as storage.unavailable, naming where', async () => {
    const file = { ...observedFile(handle), writev: async (buffers: Buffer[]) => ({ bytesWritten: 1, buffers }) } as unknown as ContentFile;
    const failure = await writeContent(file, chunksOf(randomBytes(MiB), 64 * 1024), new ContentDigest(), base).catch((error: unknown) => error);
    expect(isStorageError(failure) && failure.code).toBe('storage.unavailable');
    expect((failure as Error).message).toContain(base);
  });
});

describe('writeBatched (a resumable upload\'s PATCH written where the upload stands)', () => {
  let base: string;
  let path: string;
  let handle: FileHandle;
  const cut = new Error('the connection was cut');

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'docstore-batched-writer-'));
    path = join(base, 'upload');
    await writeFile(path, 'x'.repeat(1000));
    handle = await open(path, 'r+');
  });
  afterEach(async () => {
    await handle.close();
    await rm(base, { recursive: true, force: true });
  });

  /** `bytes` in chunks, then the connection cut. */
  async function* cutAfter(bytes: Buffer): AsyncGenerator<Buffer> {
    yield* chunksOf(bytes, 64 * 1024);
    throw cut;
  }

  it('writes from `start`, tells each chunk in order, and answers the bytes written', async () => {
    const content = randomBytes(MiB + 500 * 1024);
    const told: Buffer[] = [];
    expect(await writeBatched(handle, chunksOf(content, 64 * 1024), base, { start: 1000, onChunk: (chunk) => told.push(chunk) })).toBe(content.length);
    expect(Buffer.concat(told).equals(content)).toBe(true);
    expect((await readFile(path)).equals(Buffer.concat([Buffer.from('x'.repeat(1000)), content]))).toBe(true);
  });

  it('cut short, keeps every byte read when asked (then fails with the cut), else only the batches already written; nothing in flight after', async () => {
    const content = randomBytes(700 * 1024);
    expect(await writeBatched(handle, cutAfter(content), base, { start: 1000, keepReadOnFailure: true }).catch((error: unknown) => error)).toBe(cut);
    expect((await readFile(path)).subarray(1000).equals(content)).toBe(true);
    await handle.truncate(1000);
    expect(await writeBatched(handle, cutAfter(content), base, { start: 1000 }).catch((error: unknown) => error)).toBe(cut);
    expect((await stat(path)).size).toBe(1000 + 512 * 1024);
  });

  it('writes nothing more after a failed write, even asked to keep what was read', async () => {
    let writes = 0;
    const writev = async () => {
      writes++;
      throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    };
    const failing = { write: handle.write.bind(handle), datasync: handle.datasync.bind(handle), writev } as unknown as ContentFile;
    const failure = await writeBatched(failing, chunksOf(randomBytes(800 * 1024), 64 * 1024), base, { start: 1000, keepReadOnFailure: true }).catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe('EIO');
    expect(writes).toBe(1);
    expect((await stat(path)).size).toBe(1000);
  });
});
