import { createCipheriv, createDecipheriv, createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from '../storage-errors.js';

/**
 * The segment format of encrypted objects (formats 1 and 2; format 2 puts a sealed head before the
 * segments, see `encrypted-envelope.ts`), after the STREAM construction
 * (Hoang, Reyhanitabar, Rogaway, Vizár 2015; also used by age and Tink):
 * the plaintext is cut into segments of `SEGMENT_BYTES` (the last one shorter, possibly empty: an
 * empty object is one empty final segment), each sealed with AES-256-GCM under the object's own
 * data key, its 16-byte tag appended. The 12-byte nonce is the segment index (8 bytes, big-endian),
 * three zero bytes and a final flag (1 on the last segment, else 0): nonces never repeat under a
 * data key, and reordering, dropping, appending or truncating segments fails authentication.
 * Ciphertext size = plaintext size + 16 × segments, so sizes convert both ways without metadata.
 */
export const SEGMENT_BYTES = 64 * 1024;
export const TAG_BYTES = 16;
const SEALED_BYTES = SEGMENT_BYTES + TAG_BYTES;

export function segmentCount(plaintextBytes: number): number {
  return Math.max(1, Math.ceil(plaintextBytes / SEGMENT_BYTES));
}

export function ciphertextSize(plaintextBytes: number): number {
  return plaintextBytes + TAG_BYTES * segmentCount(plaintextBytes);
}

/** The plaintext size of a ciphertext of `ciphertextBytes`, or undefined when no plaintext has that size. */
export function plaintextSize(ciphertextBytes: number): number | undefined {
  if (ciphertextBytes < TAG_BYTES) return undefined;
  const segments = Math.max(1, Math.ceil(ciphertextBytes / SEALED_BYTES));
  const plaintext = ciphertextBytes - TAG_BYTES * segments;
  return ciphertextSize(plaintext) === ciphertextBytes ? plaintext : undefined;
}

/** Offset of segment `index` in the ciphertext. */
export function segmentOffset(index: number): number {
  return index * SEALED_BYTES;
}

function nonceOf(index: number, final: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 0);
  nonce[11] = final ? 1 : 0;
  return nonce;
}

/** Seals one segment: its ciphertext, then its tag (two buffers, to spare a copy). */
function seal(dataKey: Buffer, index: number, final: boolean, plaintext: Buffer): [Buffer, Buffer] {
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonceOf(index, final));
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return [ciphertext, cipher.getAuthTag()];
}

function open(dataKey: Buffer, index: number, final: boolean, sealed: Buffer, key: string): Buffer {
  if (sealed.length < TAG_BYTES) throw IntegrityError.corrupted(key, `segment ${index} is truncated`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, nonceOf(index, final));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    decipher.final();
    return plaintext;
  } catch (error) {
    throw IntegrityError.corrupted(key, `segment ${index} fails authentication (altered, truncated or reordered)`, { cause: error });
  }
}

/** Encrypts bytes already in memory into one buffer. */
export function encryptBytes(dataKey: Buffer, plaintext: Buffer): Buffer {
  const segments = segmentCount(plaintext.length);
  const sealed = Buffer.allocUnsafe(ciphertextSize(plaintext.length));
  let offset = 0;
  for (let index = 0; index < segments; index++) {
    for (const part of seal(dataKey, index, index === segments - 1, plaintext.subarray(index * SEGMENT_BYTES, (index + 1) * SEGMENT_BYTES))) {
      offset += part.copy(sealed, offset);
    }
  }
  return sealed;
}

/** Encrypts bytes already in memory segment by segment, as they are read (no second copy in memory). */
export function* encryptedSegmentsOf(dataKey: Buffer, plaintext: Buffer): Generator<Buffer> {
  const segments = segmentCount(plaintext.length);
  for (let index = 0; index < segments; index++) {
    yield* seal(dataKey, index, index === segments - 1, plaintext.subarray(index * SEGMENT_BYTES, (index + 1) * SEGMENT_BYTES));
  }
}

/**
 * Encrypts a stream segment by segment, hashing the plaintext on the way; `head` (the sealed head of
 * `encrypted-envelope.ts`), when given, is emitted before the first segment. A full segment is held
 * back until more bytes arrive (it is final only if the stream ends there). When `expectedSha256`
 * is given and the plaintext hashes otherwise, the stream fails in its last flush with
 * `IntegrityError`, so that the put it feeds stores nothing.
 */
export class SegmentEncryptor extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private pending = Buffer.allocUnsafe(SEGMENT_BYTES);
  private pendingBytes = 0;
  private index = 0;
  /** Plaintext bytes seen. */
  size = 0;
  /** Set once the stream has ended: the plaintext's SHA-256, lower-case hex. */
  sha256: string | undefined;

  constructor(
    private readonly dataKey: Buffer,
    private readonly key: string,
    private readonly expectedSha256?: string,
    private head?: Buffer,
  ) {
    super();
  }

  private pushHead(): void {
    if (this.head === undefined) return;
    this.push(this.head);
    this.head = undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pushHead();
    this.hash.update(chunk);
    this.size += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.pendingBytes === SEGMENT_BYTES) {
        // seal() reads the pending bytes at once and returns new buffers: the pending buffer is reused.
        for (const part of seal(this.dataKey, this.index++, false, this.pending)) this.push(part);
        this.pendingBytes = 0;
      }
      const copied = chunk.copy(this.pending, this.pendingBytes, offset);
      this.pendingBytes += copied;
      offset += copied;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const sha256 = this.hash.digest('hex');
    if (this.expectedSha256 !== undefined && sha256 !== this.expectedSha256) {
      callback(IntegrityError.checksumMismatch(this.key, this.expectedSha256, sha256));
      return;
    }
    this.sha256 = sha256;
    this.pushHead();
    for (const part of seal(this.dataKey, this.index, true, this.pending.subarray(0, this.pendingBytes))) this.push(part);
    callback();
  }
}

export interface DecryptPlan {
  /** Index of the first segment the ciphertext stream holds. */
  firstSegment: number;
  /** Segments in the whole object. */
  totalSegments: number;
  /** Ciphertext bytes to drop before the first segment (a suffix request that started early). */
  skipCiphertextBytes: number;
  /** Plaintext bytes to drop from the start of the first segment. */
  skipPlaintextBytes: number;
  /** Plaintext bytes to emit in all. */
  plaintextBytes: number;
  /**
   * The stream reaches the final segment: it is authenticated as final even when no byte of it is
   * wanted (an empty object), so that an object truncated to a segment boundary fails.
   */
  verifyFinal: boolean;
}

/**
 * Decrypts consecutive segments of one object and emits exactly the planned plaintext bytes.
 * A segment that fails authentication, or a stream that ends early, fails with `IntegrityError`:
 * no unauthenticated byte is ever emitted.
 */
export class SegmentDecryptor extends Transform {
  /** The segment being assembled (reused: opening a segment copies it out). */
  private readonly assembly = Buffer.allocUnsafe(SEALED_BYTES);
  private assembled = 0;
  /** Bytes beyond what any segment can hold: the object is longer than its size says. */
  private overflow = false;
  private index: number;
  private skipCiphertext: number;
  private skipPlaintext: number;
  private remaining: number;

  constructor(
    private readonly dataKey: Buffer,
    private readonly key: string,
    private readonly plan: DecryptPlan,
  ) {
    super();
    this.index = plan.firstSegment;
    this.skipCiphertext = plan.skipCiphertextBytes;
    this.skipPlaintext = plan.skipPlaintextBytes;
    this.remaining = plan.plaintextBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.skipCiphertext > 0) {
      const skipped = Math.min(this.skipCiphertext, chunk.length);
      this.skipCiphertext -= skipped;
      chunk = chunk.subarray(skipped);
    }
    try {
      let offset = 0;
      while (offset < chunk.length && (this.remaining > 0 || this.plan.verifyFinal)) {
        const copied = chunk.copy(this.assembly, this.assembled, offset);
        this.assembled += copied;
        offset += copied;
        if (this.assembled < SEALED_BYTES) continue;
        if (this.index === this.plan.totalSegments - 1) {
          // A full final segment: opened at the end, once it is sure that nothing follows.
          if (offset < chunk.length) this.overflow = true;
          break;
        }
        this.openSegment(this.assembly, false);
        this.assembled = 0;
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.remaining > 0 || (this.plan.verifyFinal && this.index < this.plan.totalSegments)) {
        const final = this.index === this.plan.totalSegments - 1;
        if (!final || this.overflow) throw IntegrityError.corrupted(this.key, 'the object does not end where its segments do');
        this.openSegment(this.assembly.subarray(0, this.assembled), true);
        if (this.remaining > 0) throw IntegrityError.corrupted(this.key, 'the object is shorter than its size');
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private openSegment(sealed: Buffer, final: boolean): void {
    const plaintext = open(this.dataKey, this.index++, final, sealed, this.key);
    const slice = plaintext.subarray(this.skipPlaintext, this.skipPlaintext + this.remaining);
    this.skipPlaintext = 0;
    this.remaining -= slice.length;
    if (slice.length > 0) this.push(slice);
  }
}
