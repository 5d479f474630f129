import { createHash, type Hash } from 'node:crypto';
import { BoundedMap } from '../lib/bounded-map.js';

/** How many uploads' running digests one process keeps at most (the oldest go first). */
const DEFAULT_CAPACITY = 256;

/** Where an upload's running digest stands: the bytes `[0, offset)` hashed, and their first bytes. */
interface RunningDigest {
  offset: number;
  hash: Hash;
  sample: Buffer;
}

/** The body of one request that writes an upload, hashed as it is handed to the store. */
export interface ReceivingBody {
  /** The upload's store id; set once known (a creation learns it from tus). */
  id: string | undefined;
  /** The upload offset the body starts at. */
  readonly start: number;
  /** Hashes the next piece of the body, as the store reads it. */
  update(piece: Uint8Array): void;
}

class TrackedBody implements ReceivingBody {
  received = 0;
  private readonly pieces: Buffer[];
  private sampled: number;

  /** `hash` undefined: no digest of the bytes before `start` here, nothing to hash for. */
  constructor(
    public id: string | undefined,
    readonly start: number,
    readonly hash: Hash | undefined,
    sample: Buffer,
    private readonly sampleBytes: number,
  ) {
    this.pieces = [sample];
    this.sampled = sample.length;
  }

  update(piece: Uint8Array): void {
    this.received += piece.length;
    if (this.hash === undefined) return;
    this.hash.update(piece);
    if (this.sampled < this.sampleBytes) {
      const kept = Buffer.from(piece.subarray(0, this.sampleBytes - this.sampled));
      this.pieces.push(kept);
      this.sampled += kept.length;
    }
  }

  sample(): Buffer {
    return Buffer.concat(this.pieces, this.sampled);
  }

  /** Whether the digest covers exactly `[0, offset)`. */
  covers(offset: number | undefined): this is TrackedBody & { hash: Hash } {
    return this.hash !== undefined && offset !== undefined && this.start + this.received === offset;
  }
}

/**
 * The SHA-256 of resumable uploads computed while their bytes arrive, in this process, so that a
 * finished upload need not be read again: each request's body is hashed on its way to the store,
 * starting from the digest of the bytes before it. A request's digest counts only when the store's
 * offset afterwards is exactly its start plus the bytes hashed: the store then holds those very
 * bytes, in that order (one writer at a time, under the upload's lock). Any other outcome (a cut
 * connection, a conflict, a chunk written by another instance, a restart) leaves no digest, and the
 * finished upload is read once instead. Memory: a hash state and the first `sampleBytes` bytes per
 * upload, for at most `capacity` uploads.
 */
export class ReceivedDigests {
  private readonly digests: BoundedMap<string, RunningDigest>;

  constructor(
    private readonly sampleBytes: number,
    capacity = DEFAULT_CAPACITY,
  ) {
    this.digests = new BoundedMap(capacity);
  }

  /** Starts hashing a body that writes upload `id` (undefined: a creation) from `offset`. */
  receive(id: string | undefined, offset: number): ReceivingBody {
    if (offset === 0) return new TrackedBody(id, 0, createHash('sha256'), Buffer.alloc(0), this.sampleBytes);
    const running = id === undefined ? undefined : this.digests.get(id);
    if (running === undefined || running.offset !== offset) return new TrackedBody(id, offset, undefined, Buffer.alloc(0), 0);
    return new TrackedBody(id, offset, running.hash.copy(), running.sample, this.sampleBytes);
  }

  /** The store answered the request: the upload's offset is now `offset` (undefined: unknown). */
  settle(body: ReceivingBody, offset: number | undefined): void {
    const tracked = body as TrackedBody;
    if (tracked.id === undefined) return;
    this.digests.delete(tracked.id);
    if (!tracked.covers(offset)) return;
    this.digests.set(tracked.id, { offset: offset as number, hash: tracked.hash, sample: tracked.sample() });
  }

  /**
   * The whole upload's SHA-256 and first bytes, when `body` finished it (`size` bytes) and this
   * process hashed every byte of it; otherwise undefined. The upload's digest is forgotten.
   */
  finish(body: ReceivingBody | undefined, size: number): { sha256: string; sample: Buffer } | undefined {
    const tracked = body as TrackedBody | undefined;
    if (tracked?.id === undefined) return undefined;
    this.digests.delete(tracked.id);
    // Finished: its answer settles nothing more.
    tracked.id = undefined;
    if (!tracked.covers(size)) return undefined;
    return { sha256: tracked.hash.digest('hex'), sample: tracked.sample() };
  }

  /** Forgets upload `id`'s digest (finished, removed or expired). */
  forget(id: string): void {
    this.digests.delete(id);
  }
}
