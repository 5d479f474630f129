import type { FileHandle } from 'node:fs/promises';
import { hashInSlices, type ContentDigest } from '../put-body.js';
import { StorageUnavailable } from '../storage-errors.js';

/** Content of this size or more is flushed to disk while it is written, not only at the end. */
const EARLY_FLUSH_BYTES = 8 * 1024 * 1024;
/** Streamed content is written in batches of this many bytes. */
const WRITE_BATCH_BYTES = 512 * 1024;

/** What writing content needs of an open file (a `FileHandle`). */
export type ContentFile = Pick<FileHandle, 'write' | 'writev' | 'datasync'>;

/**
 * Writes an object's content at the start of `file`, hashing it into `digest` on the way, so that
 * only the trailer and a short final fsync remain. Disk work overlaps the hashing: bytes in memory
 * are written in one call on libuv's thread pool while this thread hashes them; streamed chunks
 * are written in batches (one writev per 512 KiB, one in flight while the next is read and
 * hashed). Large content is flushed as it goes — in memory right after the write, streamed every
 * 8 MiB (one flush at a time) — instead of all waiting for the final fsync. A failed flush fails
 * the write even if later ones succeed (an fsync error is reported once).
 * `where` names the storage in errors.
 */
export async function writeContent(file: ContentFile, source: Buffer | AsyncIterable<Buffer>, digest: ContentDigest, where: string): Promise<void> {
  if (Buffer.isBuffer(source)) {
    // Small bodies are not flushed early: a second flush costs more than it hides.
    const written = source.length === 0 ? Promise.resolve() : file.write(source);
    const flushed = source.length >= EARLY_FLUSH_BYTES ? written.then(() => file.datasync()) : written;
    // Awaited after the hash; until then a failure must not count as unhandled.
    flushed.catch(() => undefined);
    await hashInSlices(digest, source);
    await flushed;
    return;
  }
  await writeBatched(file, source, where, { onChunk: (chunk) => digest.update(chunk) });
}

/** Where `writeBatched` writes, and what it tells of each chunk. */
export interface BatchedWriteOptions {
  /** The file position of the first byte. @default the file's current position (which then advances) */
  start?: number;
  /** Told of each chunk, in order, as it is read (hashing). */
  onChunk?: (chunk: Buffer) => void;
  /** Writes the chunks read before `source` failed, then fails (a cut upload keeps what it received). @default false */
  keepReadOnFailure?: boolean;
}

/**
 * Writes streamed chunks into `file` in batches (one writev per 512 KiB, one in flight while the
 * next is read), flushed to disk every 8 MiB (one flush at a time, the last awaited); answers the
 * bytes written. Whatever happens, no write is still in flight once it settles. A failed flush
 * fails the write even if later ones succeed (an fsync error is reported once). `where` names the
 * storage in errors.
 */
export async function writeBatched(file: ContentFile, source: AsyncIterable<Buffer>, where: string, options: BatchedWriteOptions = {}): Promise<number> {
  let position = options.start;
  let written = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let syncing: Promise<void> | undefined;
  let syncFailure: unknown;
  let unsyncedBytes = 0;
  const flush = async (buffers: Buffer[], bytes: number) => {
    const at = position;
    if (position !== undefined) position += bytes;
    const { bytesWritten } = await (at === undefined ? file.writev(buffers) : file.writev(buffers, at));
    if (bytesWritten !== bytes) throw StorageUnavailable.because(`short write (${bytesWritten} of ${bytes} bytes) under ${where}`);
    written += bytes;
    unsyncedBytes += bytes;
    if (unsyncedBytes >= EARLY_FLUSH_BYTES && syncing === undefined) {
      unsyncedBytes = 0;
      syncing = file.datasync().then(
        () => void (syncing = undefined),
        (error: unknown) => {
          syncFailure ??= error;
          syncing = undefined;
        },
      );
    }
  };
  try {
    for await (const chunk of source) {
      options.onChunk?.(chunk);
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= WRITE_BATCH_BYTES) {
        await inFlight;
        inFlight = flush(batch, batchBytes);
        // Handled at the next await; until then a failure must not count as unhandled.
        inFlight.catch(() => undefined);
        batch = [];
        batchBytes = 0;
      }
    }
  } catch (error) {
    // After a failed write, nothing more: bytes past it would count where some are missing.
    const writeFailed = await inFlight.then(
      () => false,
      () => true,
    );
    if (options.keepReadOnFailure === true && !writeFailed && batchBytes > 0) await flush(batch, batchBytes).catch(() => undefined);
    await syncing;
    throw error;
  }
  await inFlight;
  if (batchBytes > 0) await flush(batch, batchBytes);
  await syncing;
  if (syncFailure !== undefined) throw syncFailure;
  return written;
}
