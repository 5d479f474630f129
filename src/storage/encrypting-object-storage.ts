import { randomBytes } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { ciphertextSize, encryptBytes, encryptedSegmentsOf, plaintextSize, SegmentDecryptor, SegmentEncryptor, SEGMENT_BYTES, segmentCount, segmentOffset } from './encrypted-segments.js';
import type { LocalUrlSigner } from './local-url-signer.js';
import { KEY_BYTES, type MasterKeyring } from './master-keyring.js';
import { normalizeKey } from './object-key.js';
import { MAX_METADATA_BYTES, resolveRange, validatePutOptions, validateRange } from './object-options.js';
import type {
  ByteRange,
  CopyOptions,
  DeleteManyResult,
  GetOptions,
  GetResult,
  ListEntry,
  ListOptions,
  ObjectInfo,
  ObjectStorage,
  PresignGetOptions,
  PresignPutOptions,
  PutBody,
  PutOptions,
  PutResult,
  StorageCapabilities,
} from './object-storage.js';
import { bytesInMemory, sha256Of, toReadable, translateBodyFailure } from './put-body.js';
import { IntegrityError, InvalidArgument, InvalidRange, StorageOperationFailed, hasStorageCode } from './storage-errors.js';

/** Format version of encrypted objects (see `encrypted-segments.ts`). */
export const ENCRYPTION_FORMAT = '1';
/** Reserved metadata of an encrypted object, hidden from `stat().metadata`. */
export const ENCRYPTION_METADATA = {
  format: 'docstore-enc',
  keyId: 'docstore-enc-key-id',
  wrappedKey: 'docstore-enc-data-key',
  sha256: 'docstore-enc-sha256',
} as const;
/** Bodies in memory up to this size are encrypted into one buffer; larger ones are streamed. */
const IN_MEMORY_ENCRYPTION_BYTES = 4 * 1024 * 1024;
/** Room the reserved metadata takes out of the 2 KiB of user metadata S3 allows. */
const RESERVED_METADATA_BYTES = 256;

/** What an encrypted object's reserved metadata says. */
export interface EncryptionDescription {
  keyId: string;
  wrappedKey: string;
  sha256: string;
}

export interface EncryptingObjectStorageOptions {
  /**
   * Signs links that docstore's HTTP layer serves (decrypting through this storage). Required when
   * the inner storage's presigned URLs are served by the backend: those would hand out ciphertext.
   */
  signer?: LocalUrlSigner;
  /**
   * Objects without encryption metadata (written before encryption was switched on) are read as
   * they are. Set to false once `docstore keys status` counts none: an object whose encryption
   * metadata was stripped then fails with `storage.integrity` instead of serving its ciphertext.
   * @default true
   */
  allowPlaintext?: boolean;
}

/**
 * Client-side envelope encryption over any storage. Each object gets a random 256-bit data key,
 * wrapped by the active master key (`MasterKeyring`) and stored in reserved metadata with the key id
 * and format; the content is stored as AES-256-GCM segments (`encrypted-segments.ts`). `stat`, `get`
 * and `put` report the plaintext's size and SHA-256. Objects without encryption metadata (written
 * before encryption was switched on) are read as they are. Listings derive plaintext sizes from
 * ciphertext sizes and omit the SHA-256 (callers use `stat`). `copy` copies the ciphertext through
 * the inner storage (server-side on S3; no re-encryption) with the data key wrapped anew for the
 * destination. Presigned links are always served
 * by docstore, never by a backend that would hand out ciphertext.
 */
export class EncryptingObjectStorage implements ObjectStorage {
  readonly capabilities: StorageCapabilities;

  constructor(
    private readonly inner: ObjectStorage,
    private readonly keyring: MasterKeyring,
    private readonly options: EncryptingObjectStorageOptions = {},
  ) {
    this.capabilities = {
      atomicCreateOnly: inner.capabilities.atomicCreateOnly,
      // Copies copy the ciphertext through the inner storage (only the wrapped key changes).
      serverSideCopy: inner.capabilities.serverSideCopy,
      presignedUrlsServedByBackend: false,
    };
  }

  get name(): string {
    return this.inner.name;
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    const normalized = normalizeKey(key);
    const validated = validatePutOptions(options);
    assertRoomForReservedMetadata(validated.metadata);
    const { expectedSha256, signal, systemMetadata: _reserved, ...rest } = options;
    const dataKey = randomBytes(KEY_BYTES);
    const inner: PutOptions = { ...rest, metadata: validated.metadata, ...(signal === undefined ? {} : { signal }) };
    const inMemory = bytesInMemory(body);
    if (inMemory !== undefined) {
      const sha256 = sha256Of(inMemory);
      if (expectedSha256 !== undefined && sha256 !== expectedSha256) throw IntegrityError.checksumMismatch(normalized, expectedSha256, sha256);
      const reserved = this.describe(normalized, dataKey, sha256);
      // Small bodies are encrypted at once; larger ones segment by segment as the inner storage
      // reads them, rather than into a second copy as large as the body.
      const ciphertext = inMemory.length <= IN_MEMORY_ENCRYPTION_BYTES ? encryptBytes(dataKey, inMemory) : Readable.from(encryptedSegmentsOf(dataKey, inMemory));
      const result = await this.inner.put(normalized, ciphertext, { ...inner, systemMetadata: () => reserved });
      return { ...result, size: inMemory.length, sha256 };
    }
    const encryptor = new SegmentEncryptor(dataKey, normalized, expectedSha256);
    const source = toReadable(body, signal);
    source.on('error', (error) => encryptor.destroy(error));
    // Its failures reach the caller through the inner put that reads it; this only keeps a failure
    // that the reader has already stopped listening for from being reported as unhandled.
    encryptor.on('error', () => undefined);
    source.pipe(encryptor);
    try {
      const result = await this.inner.put(normalized, encryptor, {
        ...inner,
        systemMetadata: () => this.describe(normalized, dataKey, encryptor.sha256 as string),
      });
      return { ...result, size: encryptor.size, sha256: encryptor.sha256 as string };
    } catch (error) {
      throw translateBodyFailure(error, 'put', normalized, signal);
    } finally {
      source.destroy();
      encryptor.destroy();
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const normalized = normalizeKey(key);
    if (options.range !== undefined) validateRange(options.range);
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const innerRange = options.range === undefined ? undefined : ciphertextRangeFor(options.range);
    const got = await this.inner.get(normalized, { ...signal, ...(innerRange === undefined ? {} : { range: innerRange }) }).catch((error: unknown) => {
      // The ciphertext range starts beyond the object: so does the plaintext range.
      throw hasStorageCode(error, 'storage.invalid_range') ? InvalidRange.forObject(normalized, options.range, undefined, { cause: error }) : error;
    });
    const encryption = this.encryptionOrPlaintext(got.info, got.body);
    if (encryption === undefined) {
      // Written before encryption was switched on: read as it is (a range again, as stored).
      if (options.range === undefined) return got;
      got.body.destroy();
      return this.inner.get(normalized, options);
    }
    try {
      const info = this.plaintextInfo(got.info, encryption);
      const dataKey = this.unwrap(normalized, encryption);
      const totalSegments = segmentCount(info.size);
      const range = options.range === undefined ? undefined : resolveRange(normalized, options.range, info.size);
      const start = range?.start ?? 0;
      const end = range?.end ?? info.size - 1;
      const firstSegment = Math.floor(start / SEGMENT_BYTES);
      const plan = {
        firstSegment,
        totalSegments,
        skipCiphertextBytes: segmentOffset(firstSegment) - (got.range?.start ?? 0),
        skipPlaintextBytes: start - firstSegment * SEGMENT_BYTES,
        plaintextBytes: info.size === 0 ? 0 : end - start + 1,
        verifyFinal: info.size === 0 || Math.floor(end / SEGMENT_BYTES) === totalSegments - 1,
      };
      if (plan.skipCiphertextBytes < 0) throw IntegrityError.corrupted(normalized, 'the storage returned another range than requested');
      const decryptor = new SegmentDecryptor(dataKey, normalized, plan);
      const body: Readable = pipeline(got.body, decryptor, () => undefined);
      return { body, info, ...(range === undefined ? {} : { range }) };
    } catch (error) {
      got.body.destroy();
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    const info = await this.inner.stat(key);
    const encryption = this.encryptionOrPlaintext(info);
    return encryption === undefined ? info : this.plaintextInfo(info, encryption);
  }

  async exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }

  async delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  async deleteMany(keys: Iterable<string>): Promise<DeleteManyResult> {
    return this.inner.deleteMany(keys);
  }

  async *list(options?: ListOptions): AsyncIterable<ListEntry> {
    for await (const entry of this.inner.list(options)) {
      if (entry.kind === 'prefix') {
        yield entry;
        continue;
      }
      // The listing cannot tell encrypted objects from older plaintext ones: sizes are derived as
      // for ciphertext, and the SHA-256 (of the stored bytes) is left out so that callers stat.
      const { sha256: _stored, ...rest } = entry;
      yield { ...rest, size: plaintextSize(entry.size) ?? entry.size };
    }
  }

  async copy(sourceKey: string, destinationKey: string, options: CopyOptions = {}): Promise<ObjectInfo> {
    const source = normalizeKey(sourceKey);
    const destination = normalizeKey(destinationKey);
    const info = await this.inner.stat(source);
    const encryption = this.encryptionOrPlaintext(info);
    if (encryption === undefined) return this.inner.copy(source, destination, options);
    await this.copyWrappedAnew(info, encryption, destination, options);
    return this.stat(destination);
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    if (!this.inner.capabilities.presignedUrlsServedByBackend) return this.inner.presignGet(key, options);
    const normalized = normalizeKey(key);
    return this.requireSigner(normalized).signGet(normalized, options);
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<string> {
    if (!this.inner.capabilities.presignedUrlsServedByBackend) return this.inner.presignPut(key, options);
    const normalized = normalizeKey(key);
    return this.requireSigner(normalized).signPut(normalized, options);
  }

  async check(): Promise<void> {
    return this.inner.check();
  }

  /**
   * The key id an object's data key is wrapped under, or undefined for a plaintext object
   * (`docstore keys status`).
   */
  async keyIdOf(key: string): Promise<string | undefined> {
    return encryptionOf(await this.inner.stat(key))?.keyId;
  }

  /**
   * Re-wraps an object's data key under the active master key: a copy of the object onto itself
   * with the new wrapped key as its metadata, inside the backend where it copies (S3: no byte
   * through docstore; local: one file copy), bound to the version read (an object replaced in
   * between fails with `storage.precondition_failed`). The content is not re-encrypted. Returns what
   * it did; an object already under the active key, or stored in plaintext, is left alone. The old
   * key must still be configured.
   */
  async rewrap(key: string): Promise<'rewrapped' | 'current' | 'plaintext'> {
    const normalized = normalizeKey(key);
    const info = await this.inner.stat(normalized);
    const encryption = encryptionOf(info);
    if (encryption === undefined) return 'plaintext';
    if (encryption.keyId === this.keyring.activeId) return 'current';
    await this.copyWrappedAnew(info, encryption, normalized);
    return 'rewrapped';
  }

  /**
   * Encrypts an object stored in plaintext, in place: a replacing put whose plaintext must hash to
   * the stored SHA-256. Returns false when the object is already encrypted.
   */
  async encryptExisting(key: string): Promise<boolean> {
    const normalized = normalizeKey(key);
    const got = await this.inner.get(normalized);
    if (encryptionOf(got.info) !== undefined) {
      got.body.destroy();
      return false;
    }
    const { info } = got;
    await this.put(normalized, got.body, {
      contentType: info.contentType,
      ...(info.contentDisposition === undefined ? {} : { contentDisposition: info.contentDisposition }),
      metadata: info.metadata,
      ...(info.sha256 === undefined ? {} : { expectedSha256: info.sha256 }),
    });
    return true;
  }

  /**
   * Copies an encrypted object's ciphertext as it is (inside the backend where it copies) to
   * `destination`, with its data key wrapped anew under the active key for that key; bound to the
   * version `source` describes.
   */
  private async copyWrappedAnew(source: ObjectInfo, encryption: EncryptionDescription, destination: string, options: CopyOptions = {}): Promise<void> {
    const reserved = this.describe(destination, this.unwrap(source.key, encryption), encryption.sha256);
    await this.inner.copy(source.key, destination, {
      ...options,
      ifSourceMatch: options.ifSourceMatch ?? source.etag,
      systemMetadata: { ...options.systemMetadata, ...reserved },
    });
  }

  /** The reserved metadata of an object: the data key wrapped under the active key, bound to its context. */
  private describe(key: string, dataKey: Buffer, sha256: string): Record<string, string> {
    const { keyId, wrapped } = this.keyring.wrap(dataKey, (id) => wrapContext(key, id, sha256));
    return {
      [ENCRYPTION_METADATA.format]: ENCRYPTION_FORMAT,
      [ENCRYPTION_METADATA.keyId]: keyId,
      [ENCRYPTION_METADATA.wrappedKey]: wrapped,
      [ENCRYPTION_METADATA.sha256]: sha256,
    };
  }

  private unwrap(key: string, encryption: EncryptionDescription): Buffer {
    return this.keyring.unwrap(key, encryption.keyId, encryption.wrappedKey, wrapContext(key, encryption.keyId, encryption.sha256));
  }

  private plaintextInfo(info: ObjectInfo, encryption: EncryptionDescription): ObjectInfo {
    const size = plaintextSize(info.size);
    if (size === undefined) throw IntegrityError.corrupted(info.key, `${info.size} bytes is not the size of an encrypted object`);
    const metadata = Object.fromEntries(Object.entries(info.metadata).filter(([name]) => !name.startsWith('docstore-enc')));
    return { ...info, size, metadata, sha256: encryption.sha256 };
  }

  /** The object's encryption, or undefined for a plaintext object when those are allowed. */
  private encryptionOrPlaintext(info: ObjectInfo, body?: Readable): EncryptionDescription | undefined {
    try {
      const encryption = encryptionOf(info);
      if (encryption === undefined && this.options.allowPlaintext === false) {
        throw IntegrityError.corrupted(info.key, 'stored without encryption metadata, and plaintext objects are not allowed (DOCSTORE_ALLOW_PLAINTEXT_OBJECTS=false)');
      }
      return encryption;
    } catch (error) {
      body?.destroy();
      throw error;
    }
  }

  private requireSigner(key: string): LocalUrlSigner {
    if (this.options.signer === undefined) {
      throw StorageOperationFailed.during('presign', key, { context: { reason: 'encrypted storage needs a link signer served by docstore' } });
    }
    return this.options.signer;
  }
}

/** The encryption metadata of an object, or undefined for a plaintext one; a damaged description raises `IntegrityError`. */
export function encryptionOf(info: ObjectInfo): EncryptionDescription | undefined {
  const format = info.metadata[ENCRYPTION_METADATA.format];
  if (format === undefined) return undefined;
  const keyId = info.metadata[ENCRYPTION_METADATA.keyId];
  const wrappedKey = info.metadata[ENCRYPTION_METADATA.wrappedKey];
  const sha256 = info.metadata[ENCRYPTION_METADATA.sha256];
  if (format !== ENCRYPTION_FORMAT) throw IntegrityError.corrupted(info.key, `unknown encryption format ${JSON.stringify(format)}`);
  if (keyId === undefined || wrappedKey === undefined || sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw IntegrityError.corrupted(info.key, 'incomplete encryption metadata');
  }
  return { keyId, wrappedKey, sha256 };
}

/**
 * What a wrapped data key is bound to: format, segment size, object key, master key id and the
 * plaintext's SHA-256 (the size is not: a truncated object must fail as such, in its segments).
 */
function wrapContext(key: string, keyId: string, sha256: string): Buffer {
  return Buffer.from(`docstore-enc/${ENCRYPTION_FORMAT}\u0000${SEGMENT_BYTES}\u0000${key}\u0000${keyId}\u0000${sha256}`, 'utf8');
}

/**
 * The ciphertext range that holds a plaintext range, before the object's size is known: from the
 * first needed segment to the end of the last (the server clamps it); for a suffix, enough trailing
 * segments to cover it, since the last segment may be short.
 */
function ciphertextRangeFor(range: ByteRange): ByteRange {
  if ('suffix' in range) return { suffix: ciphertextSize((Math.ceil(range.suffix / SEGMENT_BYTES) + 1) * SEGMENT_BYTES) };
  const first = Math.floor(range.start / SEGMENT_BYTES);
  const start = segmentOffset(first);
  if (range.end === undefined) return { start };
  return { start, end: segmentOffset(Math.floor(range.end / SEGMENT_BYTES) + 1) - 1 };
}

function assertRoomForReservedMetadata(metadata: Record<string, string>): void {
  const bytes = Object.entries(metadata).reduce((total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
  if (bytes > MAX_METADATA_BYTES - RESERVED_METADATA_BYTES) {
    throw InvalidArgument.because('metadata', `${bytes} bytes in all, more than the ${MAX_METADATA_BYTES - RESERVED_METADATA_BYTES} an encrypted object leaves`);
  }
}
