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
      if (actual !== expectedSha256) throw checksumMismatch(expectedSha256, actual);
    })(),
    { objectMode: false },
  );
}

/** `upload.checksum_mismatch`: the assembled file does not hash to the SHA-256 declared at creation. */
export function checksumMismatch(expected: string, actual: string): DocumentError {
  return new DocumentError('upload.checksum_mismatch', 'The assembled file does not hash to the SHA-256 given at creation', { expected, actual });
}

/** Reads `source` to its end once: its SHA-256 (hex), its length and its first `sampleBytes` bytes. */
export async function digestWithSample(source: Readable, sampleBytes: number): Promise<{ sample: Buffer; sha256: string; size: number }> {
  const hash = createHash('sha256');
  const sample: Buffer[] = [];
  let sampled = 0;
  let size = 0;
  for await (const piece of source as AsyncIterable<Buffer>) {
    hash.update(piece);
    size += piece.length;
    if (sampled < sampleBytes) {
      // A copy: the sample must not hold on to a whole chunk of the read.
      const kept = Buffer.from(piece.subarray(0, sampleBytes - sampled));
      sample.push(kept);
      sampled += kept.length;
    }
  }
  return { sample: Buffer.concat(sample, sampled), sha256: hash.digest('hex'), size };
}
