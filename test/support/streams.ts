import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/** Deterministic pseudo-random bytes (fast to generate, different per seed). */
export function bytesOf(size: number, seed = 1): Buffer {
  const block = createHash('sha512').update(`seed-${seed}`).digest();
  const buffer = Buffer.allocUnsafe(size);
  for (let offset = 0; offset < size; offset += block.length) block.copy(buffer, offset, 0, Math.min(block.length, size - offset));
  // Vary blocks so that swapped segments change the hash.
  for (let offset = 0; offset + 8 <= size; offset += 4096) buffer.writeUInt32BE(offset / 4096, offset);
  return buffer;
}

/** A stream of unknown length yielding `bytes` in chunks of `chunkSize`. */
export function streamOf(bytes: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) yield bytes.subarray(offset, offset + chunkSize);
    })(),
  );
}

/** A stream that yields `bytesBeforeFailure` bytes, then fails. */
export function failingStream(bytesBeforeFailure: number, chunkSize = 64 * 1024): Readable {
  const bytes = bytesOf(bytesBeforeFailure, 99);
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) yield bytes.subarray(offset, offset + chunkSize);
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('source stream broke midway');
    })(),
  );
}

/** A stream that yields `bytesBeforeStall` bytes, then never ends (until destroyed). */
export function stallingStream(bytesBeforeStall: number, onStalled: () => void): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent < bytesBeforeStall) {
        const chunk = randomBytes(Math.min(64 * 1024, bytesBeforeStall - sent));
        sent += chunk.length;
        this.push(chunk);
      } else {
        onStalled();
      }
    },
  });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function randomPrefix(): string {
  return `t-${randomBytes(6).toString('hex')}`;
}
