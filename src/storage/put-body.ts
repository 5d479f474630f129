import { createHash } from 'node:crypto';
import { Readable, addAbortSignal } from 'node:stream';
import type { PutBody } from './object-storage.js';
import { OperationAborted, StorageOperationFailed, isStorageError, type StorageError } from './storage-errors.js';

/** The body as bytes when it is already in memory, else undefined (a stream). */
export function bytesInMemory(body: PutBody): Buffer | undefined {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return undefined;
}

/** The body as a Readable of Buffers, destroyed when `signal` aborts. */
export function toReadable(body: PutBody, signal?: AbortSignal): Readable {
  const inMemory = bytesInMemory(body);
  const readable =
    inMemory !== undefined
      ? Readable.from(inMemory.length === 0 ? [] : [inMemory], { objectMode: false })
      : body instanceof Readable
        ? body
        : Readable.from(body as AsyncIterable<Uint8Array>, { objectMode: false });
  return signal === undefined ? readable : addAbortSignal(signal, readable);
}

/** SHA-256 of bytes already in memory, lower-case hex. */
export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Counts and hashes the bytes that flow through it. */
export class ContentDigest {
  private readonly hash = createHash('sha256');
  size = 0;

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.size += chunk.byteLength;
  }

  /** Lower-case hex SHA-256; call once, after the last chunk. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Turns what a failed put or copy threw into a StorageError: an abort becomes `OperationAborted`,
 * a StorageError (for example from another storage's stream) passes through, anything else from
 * the body stream becomes `StorageOperationFailed` with the original as `cause`.
 */
export function translateBodyFailure(error: unknown, operation: string, key: string, signal?: AbortSignal): StorageError {
  if (signal?.aborted === true) return OperationAborted.during(operation, key, { cause: error });
  if (isStorageError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') return OperationAborted.during(operation, key, { cause: error });
  return StorageOperationFailed.during(operation, key, { cause: error, context: { reason: 'body stream failed' } });
}

/**
 * Hashes `bytes` in 1 MiB slices, yielding to the event loop between slices, so that I/O started
 * before (a write, then its flush) proceeds while the hash is computed.
 */
export async function hashInSlices(digest: ContentDigest, bytes: Buffer, sliceBytes = 1024 * 1024): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += sliceBytes) {
    digest.update(bytes.subarray(offset, offset + sliceBytes));
    if (offset + sliceBytes < bytes.length) await new Promise((resolve) => setImmediate(resolve));
  }
}
