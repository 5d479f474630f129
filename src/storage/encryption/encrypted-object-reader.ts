import { Readable, pipeline } from 'node:stream';
import { HEAD_BYTES, encryptionOf, openHead, openSha256, plaintextSizeOf, segmentsStart, wrapContext, type EncryptionDescription } from './encrypted-envelope.js';
import { SegmentDecryptor, SEGMENT_BYTES, ciphertextSize, segmentCount, segmentOffset } from './encrypted-segments.js';
import type { MasterKeyring } from './master-keyring.js';
import { resolveRange } from '../object-options.js';
import type { ByteRange, GetOptions, GetResult, ObjectInfo, ObjectStorage } from '../object-storage.js';
import { IntegrityError, InvalidRange, StorageOperationFailed, hasStorageCode } from '../storage-errors.js';
import { takeHead } from '../../lib/stream-head.js';

/** Reads of a range that needs two requests (head, segments), retried when the object is replaced between them. */
const READ_ATTEMPTS = 5;

/** What the start of an encrypted object tells: its backend description, encryption and (format 2) sealed head. */
interface HeadRead {
  info: ObjectInfo;
  encryption?: EncryptionDescription;
  head?: Buffer;
}

/**
 * The read path of `EncryptingObjectStorage` (keys already normalised, ranges validated): objects
 * of the current format, of format 1, and in plaintext (when allowed). A whole object, or a range
 * starting in the first segment, takes one request, the sealed head coming first; another range
 * takes two at once, the head and the segments it needs, retried if the object was replaced in
 * between. `stat` reads the head (a ranged read of `HEAD_BYTES`).
 */
export class EncryptedObjectReader {
  constructor(
    private readonly inner: ObjectStorage,
    private readonly keyring: MasterKeyring,
    private readonly allowPlaintext: boolean,
  ) {}

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.getOnce(key, options);
      if (result !== 'replaced') return result;
      if (attempt === READ_ATTEMPTS) throw StorageOperationFailed.during('get', key, { context: { reason: 'the object was replaced while being read, at every attempt' } });
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    const { info, encryption, head } = await this.readHead(key);
    return encryption === undefined ? info : this.plaintextInfo(info, encryption, head);
  }

  /** The data key of an object; `KeyUnavailable` when its master key is missing or wrong. */
  unwrap(key: string, encryption: EncryptionDescription): Buffer {
    return this.keyring.unwrap(key, encryption.keyId, encryption.wrappedKey, wrapContext(key, encryption.keyId, encryption));
  }

  /** The object's encryption, or undefined for a plaintext object when those are allowed. */
  encryptionOrPlaintext(info: ObjectInfo, body?: Readable): EncryptionDescription | undefined {
    try {
      const encryption = encryptionOf(info);
      if (encryption === undefined && !this.allowPlaintext) {
        throw IntegrityError.corrupted(info.key, 'stored without encryption metadata, and plaintext objects are not allowed (DOCSTORE_ALLOW_PLAINTEXT_OBJECTS=false)');
      }
      return encryption;
    } catch (error) {
      body?.destroy();
      throw error;
    }
  }

  /**
   * One read: `'replaced'` when the object changed between the two requests a range may need.
   * A whole object, or a range starting in the first segment, takes one request (the head comes
   * first); another range takes two at once: the head, and the segments it needs.
   */
  private async getOnce(key: string, options: GetOptions): Promise<GetResult | 'replaced'> {
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const { range } = options;
    const segments = range === undefined ? undefined : segmentRangeFor(range, HEAD_BYTES);
    if (segments === undefined || ('start' in segments && segments.start === HEAD_BYTES)) {
      const innerRange: ByteRange | undefined = segments === undefined ? undefined : { start: 0, ...('end' in segments && segments.end !== undefined ? { end: segments.end } : {}) };
      let got: GetResult;
      try {
        got = await this.inner.get(key, { ...signal, ...(innerRange === undefined ? {} : { range: innerRange }) });
      } catch (error) {
        // An empty stored object: not one of the current format.
        if (hasStorageCode(error, 'storage.invalid_range')) return this.getEarlierFormat(key, options);
        throw error;
      }
      const encryption = this.encryptionOrPlaintext(got.info, got.body);
      if (encryption === undefined && range === undefined) return got;
      if (encryption?.format === '1' && range === undefined) return this.decrypted(got, encryption, undefined, undefined, 0);
      if (encryption?.format !== '2') {
        got.body.destroy();
        return this.getEarlierFormat(key, options);
      }
      try {
        const head = await takeHead(got.body, HEAD_BYTES);
        return this.decrypted(got, encryption, head, range, HEAD_BYTES);
      } catch (error) {
        got.body.destroy();
        throw error;
      }
    }
    const [headRead, segmentsGot] = await Promise.allSettled([this.readHead(key, options.signal), this.inner.get(key, { ...signal, range: segments })]);
    const release = () => {
      if (segmentsGot.status === 'fulfilled') segmentsGot.value.body.destroy();
    };
    if (headRead.status === 'rejected') {
      release();
      throw headRead.reason;
    }
    const { info, encryption, head } = headRead.value;
    if (encryption?.format !== '2') {
      release();
      return this.getEarlierFormat(key, options);
    }
    if (segmentsGot.status === 'rejected') {
      const error: unknown = segmentsGot.reason;
      throw hasStorageCode(error, 'storage.invalid_range') ? InvalidRange.forObject(key, range, plaintextSizeOf('2', info.size), { cause: error }) : error;
    }
    if (segmentsGot.value.info.etag !== info.etag) {
      release();
      return 'replaced';
    }
    return this.decrypted(segmentsGot.value, encryption, head, range, segmentsGot.value.range?.start ?? 0);
  }

  /** A read of an object stored in plaintext or in format 1 (one request; `'replaced'` when it is now of the current format). */
  private async getEarlierFormat(key: string, options: GetOptions): Promise<GetResult | 'replaced'> {
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const innerRange = options.range === undefined ? undefined : segmentRangeFor(options.range, 0);
    const got = await this.inner.get(key, { ...signal, ...(innerRange === undefined ? {} : { range: innerRange }) }).catch((error: unknown) => {
      // The ciphertext range starts beyond the object: so does the plaintext range.
      throw hasStorageCode(error, 'storage.invalid_range') ? InvalidRange.forObject(key, options.range, undefined, { cause: error }) : error;
    });
    const encryption = this.encryptionOrPlaintext(got.info, got.body);
    if (encryption === undefined) {
      // Written before encryption was switched on: read as it is (a range again, as stored).
      if (options.range === undefined) return got;
      got.body.destroy();
      return this.inner.get(key, options);
    }
    if (encryption.format !== '1') {
      got.body.destroy();
      return 'replaced';
    }
    return this.decrypted(got, encryption, undefined, options.range, got.range?.start ?? 0);
  }

  /**
   * Decrypts what `got` streams: stored bytes from offset `streamStart` on, covering the segments
   * `requested` needs (all of them without a range).
   */
  private decrypted(got: GetResult, encryption: EncryptionDescription, head: Buffer | undefined, requested: ByteRange | undefined, streamStart: number): GetResult {
    const key = got.info.key;
    try {
      const dataKey = this.unwrap(key, encryption);
      const info = this.plaintextInfo(got.info, encryption, head, dataKey);
      const totalSegments = segmentCount(info.size);
      const range = requested === undefined ? undefined : resolveRange(key, requested, info.size);
      const start = range?.start ?? 0;
      const end = range?.end ?? info.size - 1;
      const firstSegment = Math.floor(start / SEGMENT_BYTES);
      const plan = {
        firstSegment,
        totalSegments,
        skipCiphertextBytes: segmentsStart(encryption.format) + segmentOffset(firstSegment) - streamStart,
        skipPlaintextBytes: start - firstSegment * SEGMENT_BYTES,
        plaintextBytes: info.size === 0 ? 0 : end - start + 1,
        verifyFinal: info.size === 0 || Math.floor(end / SEGMENT_BYTES) === totalSegments - 1,
      };
      if (plan.skipCiphertextBytes < 0) throw IntegrityError.corrupted(key, 'the storage returned another range than requested');
      const decryptor = new SegmentDecryptor(dataKey, key, plan);
      const body: Readable = pipeline(got.body, decryptor, () => undefined);
      return { body, info, ...(range === undefined ? {} : { range }) };
    } catch (error) {
      got.body.destroy();
      throw error;
    }
  }

  /** Reads the start of an object: its backend description and, in the current format, its sealed head. */
  private async readHead(key: string, signal?: AbortSignal): Promise<HeadRead> {
    let got: GetResult;
    try {
      got = await this.inner.get(key, { range: { start: 0, end: HEAD_BYTES - 1 }, ...(signal === undefined ? {} : { signal }) });
    } catch (error) {
      if (!hasStorageCode(error, 'storage.invalid_range')) throw error;
      // An empty stored object: a plaintext one, or a damaged one.
      const info = await this.inner.stat(key);
      const encryption = this.encryptionOrPlaintext(info);
      return encryption === undefined ? { info } : { info, encryption };
    }
    const encryption = this.encryptionOrPlaintext(got.info, got.body);
    if (encryption?.format !== '2') {
      got.body.destroy();
      return encryption === undefined ? { info: got.info } : { info: got.info, encryption };
    }
    try {
      const head = await takeHead(got.body, HEAD_BYTES);
      got.body.resume();
      return { info: got.info, encryption, head };
    } catch (error) {
      got.body.destroy();
      throw error;
    }
  }

  /** The plaintext's description: from the sealed head (current format), or from the backend's (format 1). */
  private plaintextInfo(info: ObjectInfo, encryption: EncryptionDescription, head: Buffer | undefined, dataKey?: Buffer): ObjectInfo {
    const size = plaintextSizeOf(encryption.format, info.size);
    if (size === undefined) throw IntegrityError.corrupted(info.key, `${info.size} bytes is not the size of an encrypted object`);
    if (encryption.format === '1') {
      return { ...info, size, metadata: withoutEncryptionMetadata(info.metadata), sha256: encryption.sha256 };
    }
    if (head === undefined) throw IntegrityError.corrupted(info.key, 'the encrypted head is missing');
    const key = dataKey ?? this.unwrap(info.key, encryption);
    const description = openHead(key, head, info.key);
    return {
      key: info.key,
      size,
      lastModified: info.lastModified,
      etag: info.etag,
      contentType: description.contentType,
      ...(description.contentDisposition === undefined ? {} : { contentDisposition: description.contentDisposition }),
      // Reserved metadata another decorator set (copy's systemMetadata) stays in the backend's.
      metadata: { ...description.metadata, ...withoutEncryptionMetadata(info.metadata) },
      sha256: openSha256(key, encryption.sealedSha256, info.key),
    };
  }

}

function withoutEncryptionMetadata(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).filter(([name]) => !name.startsWith('docstore-enc')));
}

/**
 * The stored range that holds a plaintext range, before the object's size is known, for segments
 * starting at `offset`: from the first needed segment to the end of the last (the server clamps
 * it); for a suffix, enough trailing segments to cover it, since the last segment may be short.
 */
function segmentRangeFor(range: ByteRange, offset: number): ByteRange {
  if ('suffix' in range) return { suffix: ciphertextSize((Math.ceil(range.suffix / SEGMENT_BYTES) + 1) * SEGMENT_BYTES) };
  const start = offset + segmentOffset(Math.floor(range.start / SEGMENT_BYTES));
  if (range.end === undefined) return { start };
  return { start, end: offset + segmentOffset(Math.floor(range.end / SEGMENT_BYTES) + 1) - 1 };
}

