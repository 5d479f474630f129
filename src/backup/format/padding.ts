import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from '../backup-errors.js';

/**
 * The padded length of a `length`-byte plaintext: Padmé (Nikitin et al., "Reducing Metadata Leakage
 * from Encrypted Files and Communication with PURBs", 2019). Sizes are rounded up so that only
 * O(log log n) bits of the length leak, at most 12 % overhead (less for large files).
 */
export function paddedLength(length: number): number {
  if (length < 2) return 2;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  return Math.floor((length + mask) / 2 ** lastBits) * 2 ** lastBits;
}

/** Appends zero bytes after the stream so that it is `paddedLength(expectedLength)` long. */
export function padTo(expectedLength: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      const padding = paddedLength(seen) - seen;
      if (seen !== expectedLength) callback(new Error(`read ${seen} bytes where ${expectedLength} were expected`));
      else callback(null, Buffer.alloc(padding));
    },
  });
}

/**
 * Passes the first `length` bytes and checks that the rest is the zero padding `padTo` appended;
 * a shorter stream or non-zero padding fails the stream (truncated or altered content).
 */
export function unpad(length: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const keep = Math.max(0, Math.min(chunk.length, length - seen));
      const rest = chunk.subarray(keep);
      seen += chunk.length;
      if (rest.some((byte) => byte !== 0)) return callback(BackupError.integrity(what, 'the padding after the content is not zero'));
      callback(null, keep === chunk.length ? chunk : chunk.subarray(0, keep));
    },
    flush(callback: TransformCallback) {
      if (seen < length) callback(BackupError.integrity(what, `the content ends after ${seen} of ${length} bytes`));
      else if (seen !== paddedLength(length)) callback(BackupError.integrity(what, `the padded content is ${seen} bytes, ${paddedLength(length)} expected`));
      else callback();
    },
  });
}
