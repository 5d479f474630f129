import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DocumentError } from '../documents/document-errors.js';

/** A chunk of a `PATCH` that carried `Upload-Checksum`, held until it matched: hand `open()` to tus, then `discard()`. */
export interface CheckedChunk {
  size: number;
  open(): Readable;
  discard(): Promise<void>;
}

/**
 * The tus checksum extension, SHA-256 only: `Upload-Checksum: sha256 <base64 digest>`. Another
 * algorithm, or a value that is not a digest, answers 400 `upload.checksum_unsupported`.
 */
export function parseUploadChecksum(header: string): Buffer {
  const [algorithm, value, extra] = header.trim().split(/\s+/);
  if (algorithm?.toLowerCase() !== 'sha256' || extra !== undefined) {
    throw new DocumentError('upload.checksum_unsupported', 'Upload-Checksum: only "sha256 <base64 digest>" is supported', { algorithm: algorithm ?? '' });
  }
  const digest = Buffer.from(value ?? '', 'base64');
  if (digest.length !== 32 || digest.toString('base64') !== value) {
    throw new DocumentError('upload.checksum_unsupported', 'Upload-Checksum: the SHA-256 digest must be 32 bytes in base64');
  }
  return digest;
}

/**
 * Receives a chunk into a file of its own (one chunk on disk, never the whole upload), hashing it:
 * more than `limit` bytes answer 413 `upload.too_large`; bytes that do not hash to `expected` answer
 * 460 `upload.chunk_checksum_mismatch`. Either way the file is removed and nothing of the chunk
 * reaches the upload, which the client re-sends from the same offset.
 */
export async function receiveCheckedChunk(body: Readable, expected: Buffer, limit: number): Promise<CheckedChunk> {
  const dir = await mkdtemp(join(tmpdir(), 'docstore-tus-chunk-'));
  const discard = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'chunk');
  try {
    const hash = createHash('sha256');
    let size = 0;
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const piece of source) {
          size += piece.length;
          if (size > limit) throw new DocumentError('upload.too_large', `The chunk goes past the upload's length`, { limit });
          hash.update(piece);
          yield piece;
        }
      },
      createWriteStream(path),
    );
    const actual = hash.digest();
    if (!actual.equals(expected)) {
      throw new DocumentError('upload.chunk_checksum_mismatch', 'The chunk does not hash to its Upload-Checksum; nothing of it was kept, send it again', { expected: expected.toString('base64'), actual: actual.toString('base64') });
    }
    return { size: (await stat(path)).size, open: () => createReadStream(path), discard };
  } catch (error) {
    await discard();
    throw error;
  }
}
