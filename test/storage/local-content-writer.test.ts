import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeContent, type ContentFile } from '../../src/storage/local-content-writer.js';
import { ContentDigest } from '../../src/storage/put-body.js';
import { isStorageError } from '../../src/storage/storage-errors.js';

const MiB = 1024 * 1024;

/** A real open file whose flushes are counted, and the n-th of which fails as a dying disk would. */
function flakyFile(handle: FileHandle, failingFlush?: number): ContentFile & { flushes: number } {
  const file = {
    flushes: 0,
    write: handle.write.bind(handle),
    writev: handle.writev.bind(handle),
    datasync: async () => {
      file.flushes++;
      if (file.flushes === failingFlush) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      await handle.datasync();
    },
  };
  return file as ContentFile & { flushes: number };
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

  it('writes and hashes a 20 MiB stream, flushing to disk while it arrives, not only at the end', async () => {
    const content = randomBytes(20 * MiB + 123);
    const file = flakyFile(handle);
    const digest = new ContentDigest();
    await writeContent(file, chunksOf(content, 64 * 1024), digest, base);
    expect(file.flushes).toBe(2);
    expect(digest.size).toBe(content.length);
    expect(digest.sha256()).toBe(createHash('sha256').update(content).digest('hex'));
    expect((await readFile(join(base, 'object'))).equals(content)).toBe(true);
  });

  it('writes a small stream without an early flush (the final fsync is the caller’s)', async () => {
    const file = flakyFile(handle);
    await writeContent(file, chunksOf(Buffer.from('minutes of the general assembly'), 4), new ContentDigest(), base);
    expect(file.flushes).toBe(0);
    expect(await readFile(join(base, 'object'), 'utf8')).toBe('minutes of the general assembly');
  });

  it('fails when an early flush of a stream fails, even though the later ones succeed', async () => {
    const file = flakyFile(handle, 1);
    const failure = await writeContent(file, chunksOf(randomBytes(20 * MiB), 256 * 1024), new ContentDigest(), base).catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe('EIO');
    expect(file.flushes).toBe(2);
  });

  it('fails when the flush of 8 MiB or more in memory fails', async () => {
    const failure = await writeContent(flakyFile(handle, 1), randomBytes(8 * MiB), new ContentDigest(), base).catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe('EIO');
  });

  it('reports a short write as storage.unavailable, naming where', async () => {
    const file = { ...flakyFile(handle), writev: async (buffers: Buffer[]) => ({ bytesWritten: 1, buffers }) } as unknown as ContentFile;
    const failure = await writeContent(file, chunksOf(randomBytes(MiB), 64 * 1024), new ContentDigest(), base).catch((error: unknown) => error);
    expect(isStorageError(failure) && failure.code).toBe('storage.unavailable');
    expect((failure as Error).message).toContain(base);
  });
});
