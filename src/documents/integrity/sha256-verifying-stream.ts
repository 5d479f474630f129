import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from '../../storage/storage-errors.js';

/**
 * The rule of a verified read: hash each chunk and release the one before it, release the last
 * only once the SHA-256 of everything matches `expectedSha256`. Whatever the chunks go to never
 * receives all the bytes of damaged content. Memory: one chunk.
 */
export class HeldBackSha256 {
  private readonly hash = createHash('sha256');
  private held: Buffer | undefined;

  constructor(
    private readonly key: string,
    private readonly expectedSha256: string,
  ) {}

  /** Takes `chunk` and answers the chunk it held until now (none for the first). */
  pass(chunk: Buffer): Buffer | undefined {
    this.hash.update(chunk);
    const previous = this.held;
    this.held = chunk;
    return previous;
  }

  /** The last chunk (none when nothing came) once the digest matches; `storage.integrity` (context: key, expected, actual) otherwise. */
  last(): Buffer | undefined {
    const actual = this.hash.digest('hex');
    if (actual !== this.expectedSha256) throw IntegrityError.checksumMismatch(this.key, this.expectedSha256, actual);
    const last = this.held;
    this.held = undefined;
    return last;
  }

  /** Forgets the chunk held (the read was abandoned). */
  drop(): void {
    this.held = undefined;
  }
}

/**
 * A pass-through that verifies what passes (`HeldBackSha256`): on a mismatch the stream fails with
 * `storage.integrity` before the last chunk, and a response piped from it never reaches its length.
 */
export function sha256VerifyingStream(key: string, expectedSha256: string): Transform {
  const check = new HeldBackSha256(key, expectedSha256);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      callback(null, check.pass(chunk));
    },
    flush(callback: TransformCallback) {
      let last: Buffer | undefined;
      try {
        last = check.last();
      } catch (error) {
        callback(error as Error);
        return;
      }
      callback(null, last);
    },
  });
}
