import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from '../../storage/storage-errors.js';

/**
 * A pass-through that hashes the bytes and compares their SHA-256 with `expectedSha256` at the end.
 * It holds back the latest chunk until the next one arrives, so the last bytes are released only
 * once the digest matches: on a mismatch the stream fails with `storage.integrity` (context: key,
 * expected, actual) before the last chunk, and a response piped from it never reaches its length.
 * Memory: one chunk.
 */
export function sha256VerifyingStream(key: string, expectedSha256: string): Transform {
  const hash = createHash('sha256');
  let held: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      const previous = held;
      held = chunk;
      callback(null, previous);
    },
    flush(callback: TransformCallback) {
      const actual = hash.digest('hex');
      if (actual !== expectedSha256) {
        callback(IntegrityError.checksumMismatch(key, expectedSha256, actual));
        return;
      }
      callback(null, held);
    },
  });
}
