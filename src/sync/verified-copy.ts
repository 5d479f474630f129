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
 * its lock. When the source stored a SHA-256, the destination hashes the bytes as they stream and
 * refuses to publish them unless they hash to it (`expectedSha256`), and the SHA-256 it reports
 * must be that one: hashing them here as well would add nothing. A source without a stored SHA-256
 * has its bytes hashed here, and the destination's hash must match that.
 */
export async function copyVerified(source: ObjectStorage, destination: ObjectStorage, key: string, limiter?: BandwidthLimiter): Promise<VerifiedCopy> {
  const { body, info } = await source.get(key);
  const hash = info.sha256 === undefined ? createHash('sha256') : undefined;
  let stream: Readable = body;
  if (hash !== undefined) {
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    body.on('error', (error) => hashing.destroy(error));
    stream = body.pipe(hashing);
  }
  if (limiter !== undefined) {
    const throttled = limiter.throttle();
    const upstream = stream;
    upstream.on('error', (error) => throttled.destroy(error));
    stream = upstream.pipe(throttled);
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
  const streamed = hash === undefined ? info.sha256 : hash.digest('hex');
  if (result.sha256 !== streamed) throw new Error(`${key}: the destination hashed ${result.sha256}, ${hash === undefined ? 'the source stored' : 'the stream'} ${streamed}`);
  return { sha256: result.sha256, size: result.size, etag: result.etag, sourceEtag: info.etag };
}
