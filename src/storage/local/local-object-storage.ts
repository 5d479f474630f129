import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, readdir, realpath, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, addAbortSignal } from 'node:stream';
import { normalizeKey } from '../object-key.js';
import type { ObjectLinkSigner } from '../object-link-signer.js';
import { resolveRange, storedDescription, validateAdoptOptions, validateCopyOptions, validatePutOptions, validateRange, withSystemMetadata, type ValidatedPutOptions } from '../object-options.js';
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
import { ContentDigest, bytesInMemory, toReadable } from '../put-body.js';
import { IntegrityError, ObjectLockUnsupported, OperationAborted, PreconditionFailed, StorageUnavailable, isStorageError } from '../storage-errors.js';
import { writeContent } from './local-content-writer.js';
import { adoptForeignFile } from './local-foreign-adoption.js';
import { errnoCode, ignoreMissing, ignoreMissingStat, translateFsError, translateWriteFailure } from './local-fs-errors.js';
import { encodeTrailer, localEtag, readObjectFile, readTrailer, type LocalObjectDescription } from './local-object-file.js';
import { listLocalObjects } from './local-object-listing.js';
import { localContentStream } from './local-content-stream.js';
import { LocalObjectPaths } from './local-object-paths.js';

/**
 * Files up to this size are read whole when opened for a get: content and trailer in one read,
 * served from memory (the stream's own read size, so no more memory per get than a stream holds).
 */
const WHOLE_READ_BYTES = 256 * 1024;
/** Temporary files older than this are leftovers of a crash, removed at open. */
const STALE_TEMP_MS = 3_600_000;

export interface LocalObjectStorageOptions {
  /** Directory holding the objects; created (0700) if missing. */
  root: string;
  /** Signs and verifies presigned links; without it presign* raise. */
  signer?: ObjectLinkSigner;
  /**
   * When false, opening changes nothing on disk (a dry run only reads): the root and its temporary
   * folder are not created, leftovers are not removed, and a missing root lists as empty.
   * @default true
   */
  create?: boolean;
}

/**
 * Stores objects as files under a root directory. Writes go to a temporary file, are fsynced,
 * then renamed (or, for create-only puts, hard-linked) into place. Files are 0600, directories 0700.
 * No path ever leaves the root: keys cannot contain `..`, and a symbolic link anywhere on the path
 * makes the operation fail with `PermissionDenied` (`local-object-paths.ts`). Listing walks the
 * directories (`local-object-listing.ts`); the content is written by `local-content-writer.ts` in
 * the on-disk format of `local-object-file.ts`.
 */
export class LocalObjectStorage implements ObjectStorage {
  readonly name = 'local';
  readonly capabilities: StorageCapabilities = {
    atomicCreateOnly: true,
    // copy streams the bytes through this process (and re-verifies their SHA-256).
    serverSideCopy: false,
    presignedUrlsServedByBackend: false,
    // A file can always be removed by root, or by the account docstore runs as: nothing to lock with.
    objectLock: false,
    // The foreign file gets the trailer and is linked into place (`local-foreign-adoption.ts`).
    adoptsForeignContent: true,
  };

  private readonly paths: LocalObjectPaths;

  private constructor(
    root: string,
    private readonly signer: ObjectLinkSigner | undefined,
  ) {
    this.paths = new LocalObjectPaths(root);
  }

  /** Creates the root if needed and removes temporary files left by a crash (older than an hour); see `create`. */
  static async open(options: LocalObjectStorageOptions): Promise<LocalObjectStorage> {
    if (options.create === false) {
      const root = await realpath(options.root).catch((error: unknown) => {
        if (errnoCode(error) === 'ENOENT') return resolve(options.root);
        throw translateFsError(error, 'open', '');
      });
      return new LocalObjectStorage(root, options.signer);
    }
    await mkdir(options.root, { recursive: true, mode: 0o700 });
    const storage = new LocalObjectStorage(await realpath(options.root), options.signer);
    const temp = storage.paths.temporaryDirectory;
    await mkdir(temp, { recursive: true, mode: 0o700 });
    // Only stale files: another process (the server, a mirror) may be writing into the same root.
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(temp)) {
      const path = join(temp, name);
      const stats = await lstat(path).catch(ignoreMissingStat);
      if (stats !== undefined && stats.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
    }
    return storage;
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    const normalized = normalizeKey(key);
    const validated = validatePutOptions(options);
    refuseLock('put', normalized, options);
    if (options.signal?.aborted === true) throw OperationAborted.during('put', normalized);
    const inMemory = bytesInMemory(body);
    if (inMemory !== undefined) {
      return this.write(normalized, inMemory, validated, options.ifNoneMatch === '*', options.expectedSha256, options.signal);
    }
    const source = toReadable(body, options.signal);
    try {
      return await this.write(normalized, source, validated, options.ifNoneMatch === '*', options.expectedSha256, options.signal);
    } finally {
      source.destroy();
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const normalized = normalizeKey(key);
    if (options.range !== undefined) validateRange(options.range);
    const handle = await this.paths.openObject(normalized);
    try {
      const { description, mtime, content } = await readObjectFile(handle, normalized, WHOLE_READ_BYTES);
      const info = toInfo(normalized, description, mtime);
      const range = options.range === undefined ? undefined : resolveRange(normalized, options.range, description.size);
      const start = range?.start ?? 0;
      const end = range?.end ?? description.size - 1;
      let body: Readable;
      if (end < start || content !== undefined) {
        await handle.close();
        body = end < start ? Readable.from([]) : readableOf(content?.subarray(start, end + 1) as Buffer);
      } else {
        const { buffers } = options;
        body = localContentStream(handle, normalized, start, end, buffers === undefined ? newReadBuffer : () => buffers.take());
      }
      if (options.signal !== undefined) addAbortSignal(options.signal, body);
      return { body, info, ...(range === undefined ? {} : { range }) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    const normalized = normalizeKey(key);
    const handle = await this.paths.openObject(normalized);
    try {
      const { description, mtime } = await readTrailer(handle, normalized);
      return toInfo(normalized, description, mtime);
    } finally {
      await handle.close();
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.stat(key);
      return true;
    } catch (error) {
      if (isStorageError(error) && error.code === 'storage.not_found') return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const normalized = normalizeKey(key);
    let path: string;
    try {
      path = await this.paths.objectPath(normalized, 'delete');
    } catch (error) {
      if (isStorageError(error) && error.code === 'storage.not_found') return;
      throw error;
    }
    try {
      await unlink(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw translateFsError(error, 'delete', normalized);
    }
    await this.removeEmptyParents(normalized);
  }

  async deleteMany(keys: Iterable<string>): Promise<DeleteManyResult> {
    const normalized = [...keys].map((key) => normalizeKey(key));
    const result: DeleteManyResult = { deleted: [], failed: [] };
    for (const key of normalized) {
      try {
        await this.delete(key);
        result.deleted.push(key);
      } catch (error) {
        const storageError = isStorageError(error) ? error : translateFsError(error, 'delete', key);
        result.failed.push({ key, code: storageError.code, message: storageError.message });
      }
    }
    return result;
  }

  list(options: ListOptions = {}): AsyncIterable<ListEntry> {
    return listLocalObjects(this.paths, options);
  }

  async copy(sourceKey: string, destinationKey: string, options: CopyOptions = {}): Promise<ObjectInfo> {
    const source = normalizeKey(sourceKey);
    const destination = normalizeKey(destinationKey);
    validateCopyOptions(options);
    refuseLock('copy', destination, options);
    const handle = await this.paths.openObject(source);
    let description: LocalObjectDescription;
    let body: Readable;
    try {
      ({ description } = await readTrailer(handle, source));
      // Read from the open file: a copy onto the source itself replaces the path, not this inode.
      if (options.ifSourceMatch !== undefined && options.ifSourceMatch !== localEtag(description.sha256)) throw PreconditionFailed.changed(source);
      if (options.systemMetadata !== undefined) description = { ...description, metadata: withSystemMetadata(description.metadata, options.systemMetadata) };
      body =
        description.size === 0
          ? Readable.from([])
          : handle.createReadStream({ start: 0, end: description.size - 1, autoClose: true });
    } catch (error) {
      await handle.close();
      throw error;
    }
    try {
      const result = await this.write(destination, body, descriptive(description), options.ifNoneMatch === '*', description.sha256);
      return toInfo(destination, description, result.lastModified);
    } finally {
      body.destroy();
    }
  }

  async adopt(sourceKey: string, key: string, options: AdoptOptions): Promise<PutResult> {
    const source = normalizeKey(sourceKey);
    const destination = normalizeKey(key);
    const validated = validateAdoptOptions(options);
    return adoptForeignFile(this.paths, source, destination, validated, (temporary, target) => this.publish(temporary, target, true));
  }

  /** Refused: a local disk cannot lock a file (`ObjectLockUnsupported`). */
  async extendRetention(key: string, _retainUntil?: Date): Promise<ObjectLockState> {
    throw ObjectLockUnsupported.by(this.name, 'extendRetention', normalizeKey(key));
  }

  /** Refused: a local disk cannot lock a file (`ObjectLockUnsupported`). */
  async setLegalHold(key: string, _on?: boolean): Promise<ObjectLockState> {
    throw ObjectLockUnsupported.by(this.name, 'setLegalHold', normalizeKey(key));
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    return this.requireSigner().signGet(normalizeKey(key), options);
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<string> {
    return this.requireSigner().signPut(normalizeKey(key), options);
  }

  async check(): Promise<void> {
    const probe = this.paths.temporaryPath(`check-${randomUUID()}`);
    try {
      const handle = await open(probe, 'wx', 0o600);
      await handle.close();
      await unlink(probe);
    } catch (error) {
      throw StorageUnavailable.because(`cannot write under ${this.paths.root}`, { cause: error });
    }
  }

  /** Streams `source` into a temporary file, then publishes it under `key`. */
  private async write(
    key: string,
    source: Readable | Buffer,
    options: ValidatedPutOptions,
    createOnly: boolean,
    expectedSha256?: string,
    signal?: AbortSignal,
  ): Promise<PutResult> {
    const temp = this.paths.temporaryPath();
    let handle: FileHandle | undefined;
    let published = false;
    try {
      handle = await open(temp, 'wx', 0o600);
      const digest = new ContentDigest();
      await writeContent(handle, source, digest, this.paths.root);
      if (signal?.aborted === true) throw OperationAborted.during('put', key);
      const sha256 = digest.sha256();
      if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
        throw IntegrityError.checksumMismatch(key, expectedSha256, sha256);
      }
      const description: LocalObjectDescription = { size: digest.size, sha256, ...storedDescription(options) };
      await handle.write(encodeTrailer(description));
      await handle.sync();
      const { mtime } = await handle.stat();
      await handle.close();
      handle = undefined;
      await this.publish(temp, key, createOnly);
      published = true;
      return { key, size: digest.size, etag: localEtag(sha256), sha256, lastModified: mtime };
    } catch (error) {
      throw isStorageError(error) ? error : translateWriteFailure(error, key, signal);
    } finally {
      await handle?.close();
      if (!published) await unlink(temp).catch(ignoreMissing);
    }
  }

  /** Moves a complete temporary file to the object's path, creating parent directories. */
  private async publish(temp: string, key: string, createOnly: boolean): Promise<void> {
    const path = this.paths.lexicalPath(key);
    // Parents usually exist: create them only when the first attempt says they are missing. A
    // concurrent delete may remove a just-created empty parent: retry a few times.
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) await this.paths.ensureParentDirectories(key);
      else if (!(await this.paths.parentIsInsideRoot(path, key))) continue;
      try {
        if (createOnly) {
          await link(temp, path);
          await unlink(temp);
        } else {
          await rename(temp, path);
        }
        await fsyncDirectory(join(path, '..'));
        return;
      } catch (error) {
        if (errnoCode(error) === 'EEXIST' && createOnly) throw PreconditionFailed.alreadyExists(key, { cause: error });
        if (errnoCode(error) !== 'ENOENT' || attempt >= 5) throw translateFsError(error, 'put', key);
      }
    }
  }

  /** Removes directories left empty by a delete, up to the root. */
  private async removeEmptyParents(key: string): Promise<void> {
    const segments = key.split('/').slice(0, -1);
    while (segments.length > 0) {
      try {
        await rmdir(join(this.paths.root, ...segments));
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
        throw translateFsError(error, 'delete', key);
      }
      segments.pop();
    }
  }

  private requireSigner(): ObjectLinkSigner {
    if (this.signer === undefined) throw StorageUnavailable.because('presigned links need a signing secret');
    return this.signer;
  }
}

/** A stream of one buffer already in memory. */
function newReadBuffer(): Buffer {
  return Buffer.allocUnsafeSlow(WHOLE_READ_BYTES);
}

function readableOf(bytes: Buffer): Readable {
  return new Readable({
    read() {
      this.push(bytes);
      this.push(null);
    },
  });
}

function toInfo(key: string, description: LocalObjectDescription, lastModified: Date): ObjectInfo {
  return {
    key,
    size: description.size,
    lastModified,
    etag: localEtag(description.sha256),
    contentType: description.contentType,
    ...(description.contentDisposition === undefined ? {} : { contentDisposition: description.contentDisposition }),
    metadata: { ...description.metadata },
    sha256: description.sha256,
  };
}

function descriptive(description: LocalObjectDescription): ValidatedPutOptions {
  return {
    contentType: description.contentType,
    ...(description.contentDisposition === undefined ? {} : { contentDisposition: description.contentDisposition }),
    metadata: description.metadata,
  };
}

/** A lock asked of the local disk: refused before anything is read or written. */
function refuseLock(operation: string, key: string, options: { retainUntil?: Date; legalHold?: boolean }): void {
  if (options.retainUntil !== undefined || options.legalHold === true) throw ObjectLockUnsupported.by('local', operation, key);
}

async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
