import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { ObjectInfo, ObjectStorage } from '../storage/object-storage.js';
import type { BandwidthLimiter } from './bandwidth-limiter.js';

/** What a verified copy wrote, and of which source version. */
export interface VerifiedCopy {
  sha256: string;
  size: number;
  /** The destination's ETag of the copy. */
  etag: string;
  /** The ETag of the source version that was read (it may be newer than the listing's). */
  sourceEtag: string;
}

/**
 * The source version's Object Lock (retain-until date, legal hold), for a destination with Object
 * Lock on; nothing for one without (its copies are unlocked). See docs/retention.md.
 */
function lockCarriedOver(info: ObjectInfo, destination: ObjectStorage): { retainUntil?: Date; legalHold?: boolean } {
  if (!destination.capabilities.objectLock || info.lock === undefined) return {};
  return { ...(info.lock.retainUntil === undefined ? {} : { retainUntil: info.lock.retainUntil }), ...(info.lock.legalHold ? { legalHold: true } : {}) };
}

/**
 * Streams one object across, keeping its description and, where the destination has Object Lock,
 * its lock. The destination refuses the bytes unless
 * they hash to the SHA-256 the source stored (when it stored one); the bytes are also hashed here,
 * so a source without a stored SHA-256 is verified against what the destination computed.
 */
export async function copyVerified(source: ObjectStorage, destination: ObjectStorage, key: string, limiter?: BandwidthLimiter): Promise<VerifiedCopy> {
  const { body, info } = await source.get(key);
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  let stream: Readable = body.pipe(hashing);
  body.on('error', (error) => hashing.destroy(error));
  if (limiter !== undefined) {
    const throttled = limiter.throttle();
    hashing.on('error', (error) => throttled.destroy(error));
    stream = hashing.pipe(throttled);
  }
  let result;
  try {
    result = await destination.put(key, stream, {
      contentType: info.contentType,
      ...(info.contentDisposition === undefined ? {} : { contentDisposition: info.contentDisposition }),
      metadata: info.metadata,
      ...(info.sha256 === undefined ? {} : { expectedSha256: info.sha256 }),
      ...lockCarriedOver(info, destination),
    });
  } finally {
    body.destroy();
  }
  const streamed = hash.digest('hex');
  if (result.sha256 !== streamed) throw new Error(`${key}: the destination hashed ${result.sha256}, the stream ${streamed}`);
  return { sha256: result.sha256, size: result.size, etag: result.etag, sourceEtag: info.etag };
}
