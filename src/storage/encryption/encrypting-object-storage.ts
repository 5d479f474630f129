import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ENCRYPTION_FORMAT, encryptionOf, plaintextSizeOf, reservedMetadataOf, sealHead, sealSha256, wrapContext, type EncryptionDescription } from './encrypted-envelope.js';
import { EncryptedObjectReader } from './encrypted-object-reader.js';
import { encryptBytes, encryptedSegmentsOf, SegmentEncryptor } from './encrypted-segments.js';
import type { ObjectLinkSigner } from '../object-link-signer.js';
import { KEY_BYTES, type MasterKeyring } from './master-keyring.js';
import { normalizeKey } from '../object-key.js';
import { validatePutOptions, validateRange } from '../object-options.js';
import type {
  AdoptOptions,
  CopyOptions,
  DeleteManyResult,
  GetOptions,
  GetResult,
  ListEntry,
  ListOptions,
  ObjectInfo,
  ObjectLockState,
  ObjectStorage,
  PresignGetOptions,
  PresignPutOptions,
  PutBody,
  PutOptions,
  PutResult,
  StorageCapabilities,
} from '../object-storage.js';
import { bytesInMemory, sha256Of, toReadable, translateBodyFailure } from '../put-body.js';
import { AdoptionUnsupported, IntegrityError, PreconditionFailed, StorageOperationFailed } from '../storage-errors.js';

export { ENCRYPTION_FORMAT, ENCRYPTION_METADATA, encryptionOf, type EncryptionDescription } from './encrypted-envelope.js';

/** Bodies in memory up to this size are encrypted into one buffer; larger ones are streamed. */
const IN_MEMORY_ENCRYPTION_BYTES = 4 * 1024 * 1024;

export interface EncryptingObjectStorageOptions {
  /**
   * Signs links that docstore's HTTP layer serves (decrypting through this storage). Required when
   * the inner storage's presigned URLs are served by the backend: those would hand out ciphertext.
   */
  signer?: ObjectLinkSigner;
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
 * and format; the content is stored as AES-256-GCM segments (`encrypted-segments.ts`) after a sealed
 * head holding its content type, disposition and user metadata (`encrypted-envelope.ts`): the backend
 * stores nothing user-derived in clear. `stat`, `get` and `put` report the plaintext's description,
 * size and SHA-256; `stat` reads the head (a ranged read of `HEAD_BYTES`), so it needs the master key.
 * Listings derive plaintext sizes from stored sizes (as for the current format) and omit the SHA-256
 * (callers use `stat`). Objects without encryption metadata (written before encryption was switched
 * on) are read as they are; objects of format 1 are read and converted by `rewrap`. `copy` copies
 * the stored bytes through the inner storage (server-side on S3; no re-encryption) with the data key
 * wrapped anew for the destination. Presigned links are always served by docstore, never by a
 * backend that would hand out ciphertext.
 */
export class EncryptingObjectStorage implements ObjectStorage {
  readonly capabilities: StorageCapabilities;
  private readonly reader: EncryptedObjectReader;

  constructor(
    private readonly inner: ObjectStorage,
    private readonly keyring: MasterKeyring,
    private readonly options: EncryptingObjectStorageOptions = {},
  ) {
    this.reader = new EncryptedObjectReader(inner, keyring, options.allowPlaintext !== false);
    this.capabilities = {
      atomicCreateOnly: inner.capabilities.atomicCreateOnly,
      // Copies copy the stored bytes through the inner storage (only the wrapped key changes).
      serverSideCopy: inner.capabilities.serverSideCopy,
      presignedUrlsServedByBackend: false,
      objectLock: inner.capabilities.objectLock,
      // Foreign content is plaintext: only a put encrypts it.
      adoptsForeignContent: false,
    };
  }

  get name(): string {
    return this.inner.name;
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    const normalized = normalizeKey(key);
    const validated = validatePutOptions(options);
    const { expectedSha256, signal, ifNoneMatch, retainUntil, legalHold } = options;
    const dataKey = randomBytes(KEY_BYTES);
    const head = sealHead(dataKey, {
      contentType: validated.contentType,
      ...(validated.contentDisposition === undefined ? {} : { contentDisposition: validated.contentDisposition }),
      metadata: validated.metadata,
    });
    // The backend object is described by nothing but the reserved metadata; its lock is the plaintext's.
    const inner: PutOptions = {
      ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
      ...(signal === undefined ? {} : { signal }),
      ...(retainUntil === undefined ? {} : { retainUntil }),
      ...(legalHold === undefined ? {} : { legalHold }),
    };
    const inMemory = bytesInMemory(body);
    if (inMemory !== undefined) {
      const sha256 = sha256Of(inMemory);
      if (expectedSha256 !== undefined && sha256 !== expectedSha256) throw IntegrityError.checksumMismatch(normalized, expectedSha256, sha256);
      const reserved = this.describe(normalized, dataKey, sha256);
      // Small bodies are encrypted at once; larger ones segment by segment as the inner storage
      // reads them, rather than into a second copy as large as the body.
      const stored =
        inMemory.length <= IN_MEMORY_ENCRYPTION_BYTES
          ? Buffer.concat([head, encryptBytes(dataKey, inMemory)])
          : Readable.from((function* () {
              yield head;
              yield* encryptedSegmentsOf(dataKey, inMemory);
            })());
      const result = await this.inner.put(normalized, stored, { ...inner, systemMetadata: () => reserved });
      return { ...result, size: inMemory.length, sha256 };
    }
    const encryptor = new SegmentEncryptor(dataKey, normalized, expectedSha256, head);
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
    return this.reader.get(normalized, options);
  }

  async stat(key: string): Promise<ObjectInfo> {
    return this.reader.stat(normalizeKey(key));
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
      // A listing cannot tell formats apart, nor encrypted objects from older plaintext ones: sizes
      // are derived as for the current format, and the SHA-256 (of the stored bytes) is left out so
      // that callers stat.
      const { sha256: _stored, ...rest } = entry;
      yield { ...rest, size: plaintextSizeOf(ENCRYPTION_FORMAT, entry.size) ?? entry.size };
    }
  }

  async copy(sourceKey: string, destinationKey: string, options: CopyOptions = {}): Promise<ObjectInfo> {
    const source = normalizeKey(sourceKey);
    const destination = normalizeKey(destinationKey);
    const info = await this.inner.stat(source);
    const encryption = this.reader.encryptionOrPlaintext(info);
    if (encryption === undefined) return this.inner.copy(source, destination, options);
    await this.copyWrappedAnew(info, encryption, destination, options);
    return this.stat(destination);
  }

  /** Refused (`AdoptionUnsupported`): foreign content is plaintext, which only a `put` encrypts. */
  async adopt(sourceKey: string, key: string, _options?: AdoptOptions): Promise<PutResult> {
    normalizeKey(sourceKey);
    throw AdoptionUnsupported.by(this.name, normalizeKey(key), 'client-side encryption is on: foreign content is plaintext, which only a put encrypts');
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

  async extendRetention(key: string, retainUntil: Date): Promise<ObjectLockState> {
    return this.inner.extendRetention(key, retainUntil);
  }

  async setLegalHold(key: string, on: boolean): Promise<ObjectLockState> {
    return this.inner.setLegalHold(key, on);
  }

  /**
   * The master key id and format of an object, or undefined for a plaintext object, from its
   * backend metadata alone (no master key needed: `docstore keys status`).
   */
  async encryptionStateOf(key: string): Promise<{ keyId: string; format: EncryptionDescription['format'] } | undefined> {
    const encryption = encryptionOf(await this.inner.stat(key));
    return encryption === undefined ? undefined : { keyId: encryption.keyId, format: encryption.format };
  }

  /**
   * Brings an object under the active master key and into the current format. An object of the
   * current format under another key: a copy of the object onto itself with the new wrapped key as
   * its metadata, inside the backend where it copies (S3: no byte through docstore; local: one file
   * copy), bound to the version read (an object replaced in between fails with
   * `storage.precondition_failed`); the content is not re-encrypted. An object of an earlier format
   * (`upgraded`): decrypted, verified and written anew in the current format under a new data key,
   * its plaintext SHA-256 checked against the stored one. An object already current, or stored in
   * plaintext, is left alone. The old key must still be configured.
   */
  async rewrap(key: string): Promise<'rewrapped' | 'upgraded' | 'current' | 'plaintext'> {
    const normalized = normalizeKey(key);
    const info = await this.inner.stat(normalized);
    const encryption = encryptionOf(info);
    if (encryption === undefined) return 'plaintext';
    if (encryption.format !== ENCRYPTION_FORMAT) {
      await this.rewrite(normalized, info.etag);
      return 'upgraded';
    }
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
    await this.putAgain(normalized, got);
    return true;
  }

  /** Reads an object (decrypting it) and writes it anew in the current format, if it is still the version `etag` names. */
  private async rewrite(key: string, etag: string): Promise<void> {
    const got = await this.get(key);
    if (got.info.etag !== etag) {
      got.body.destroy();
      throw PreconditionFailed.changed(key);
    }
    await this.putAgain(key, got);
  }

  /**
   * Puts what `got` reads back under its key, with its description, verified against its SHA-256.
   * Under Object Lock the new version is locked as the one read (same retain-until date, same
   * hold); the one read stays, locked, until its date (a versioned bucket keeps it).
   */
  private async putAgain(key: string, got: GetResult): Promise<void> {
    const { info } = got;
    await this.put(key, got.body, {
      contentType: info.contentType,
      ...(info.contentDisposition === undefined ? {} : { contentDisposition: info.contentDisposition }),
      metadata: info.metadata,
      ...(info.sha256 === undefined ? {} : { expectedSha256: info.sha256 }),
      ...(info.lock?.retainUntil === undefined ? {} : { retainUntil: info.lock.retainUntil }),
      ...(info.lock?.legalHold === true ? { legalHold: true } : {}),
    });
  }

  /**
   * Copies an encrypted object's stored bytes as they are (inside the backend where it copies) to
   * `destination`, with its data key wrapped anew under the active key for that key; bound to the
   * version `source` describes. The head and the sealed SHA-256 travel unchanged.
   */
  private async copyWrappedAnew(source: ObjectInfo, encryption: EncryptionDescription, destination: string, options: CopyOptions = {}): Promise<void> {
    const dataKey = this.reader.unwrap(source.key, encryption);
    const { keyId, wrapped } = this.keyring.wrap(dataKey, (id) => wrapContext(destination, id, encryption));
    await this.inner.copy(source.key, destination, {
      ...options,
      ifSourceMatch: options.ifSourceMatch ?? source.etag,
      systemMetadata: { ...options.systemMetadata, ...reservedMetadataOf({ ...encryption, keyId, wrappedKey: wrapped }) },
    });
  }

  /** The reserved metadata of a new object: the data key wrapped under the active key, bound to its context; the sealed SHA-256. */
  private describe(key: string, dataKey: Buffer, sha256: string): Record<string, string> {
    const { keyId, wrapped } = this.keyring.wrap(dataKey, (id) => wrapContext(key, id, { format: ENCRYPTION_FORMAT }));
    return reservedMetadataOf({ format: ENCRYPTION_FORMAT, keyId, wrappedKey: wrapped, sealedSha256: sealSha256(dataKey, sha256) });
  }

  private requireSigner(key: string): ObjectLinkSigner {
    if (this.options.signer === undefined) {
      throw StorageOperationFailed.during('presign', key, { context: { reason: 'encrypted storage needs a link signer served by docstore' } });
    }
    return this.options.signer;
  }
}
