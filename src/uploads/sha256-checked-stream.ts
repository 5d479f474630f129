import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DocumentError } from '../documents/document-errors.js';

/**
 * Passes `source` through, hashing it; at its end fails with `upload.checksum_mismatch` when the
 * bytes do not hash to `expectedSha256`, so that the storage write consuming it fails before it
 * completes and nothing is stored.
 */
export function sha256Checked(source: Readable, expectedSha256: string): Readable {
  const hash = createHash('sha256');
  return Readable.from(
    (async function* () {
      for await (const piece of source as AsyncIterable<Buffer>) {
        hash.update(piece);
        yield piece;
      }
      const actual = hash.digest('hex');
      if (actual !== expectedSha256) {
        throw new DocumentError('upload.checksum_mismatch', 'The assembled file does not hash to the SHA-256 given at creation', { expected: expectedSha256, actual });
      }
    })(),
    { objectMode: false },
  );
}
