import type { Readable } from 'node:stream';

/**
 * The storage port. Every storage docstore can use (local disk, any S3-compatible service) and every
 * decorator (metrics, encryption, fault injection) implements it with the same observable behaviour,
 * proven by one conformance suite (`test/storage/object-storage.conformance.ts`).
 *
 * Keys are validated and NFC-normalised by `normalizeKey` (see `object-key.ts`); an invalid key
 * raises `InvalidKey` from every operation. Failures are typed `StorageError`s (see
 * `storage-errors.ts`); vendor errors never leak as such.
 */
export interface ObjectStorage {
  /** Short backend name for metrics and logs, for example `local` or `s3`. */
  readonly name: string;
  /** What this storage supports beyond the common contract. */
  readonly capabilities: StorageCapabilities;

  /**
   * Stores `body` under `key`, replacing any existing object unless `ifNoneMatch: '*'` is given.
   * The body is streamed: memory use does not depend on its size. Its SHA-256 is computed while
   * streaming and stored with the object. The object becomes visible whole or not at all: a failing
   * body stream, an aborted signal or a crash leaves no partial object and no temporary data behind.
   * With `ifNoneMatch: '*'`, an existing key raises `PreconditionFailed` and the original stays
   * untouched. Concurrent puts of one key: the last writer wins, never a mix of two bodies.
   */
  put(key: string, body: PutBody, options?: PutOptions): Promise<PutResult>;

  /**
   * Opens an object for reading. The returned body must be consumed or destroyed.
   * Missing key → `ObjectNotFound`. With a range: `{ start, end? }` (inclusive, `end` clamped to the
   * last byte) or `{ suffix }` (the last `suffix` bytes; a suffix larger than the object returns it
   * whole). A start at or beyond the end of the object → `InvalidRange`.
   */
  get(key: string, options?: GetOptions): Promise<GetResult>;

  /** Describes an object without reading its content. Missing key → `ObjectNotFound`. */
  stat(key: string): Promise<ObjectInfo>;

  /** True when the object exists, false when it does not; any other failure throws. */
  exists(key: string): Promise<boolean>;

  /**
   * Removes an object. Does not fail when the object is absent. Where the storage keeps versions
   * under Object Lock (`capabilities.objectLock`), every stored version of the key goes, oldest
   * first, and a version still locked (retain-until date in the future, or a legal hold) stops the
   * removal with `ObjectLocked`: the current content is then still readable as before (the versions
   * removed before it were older ones).
   */
  delete(key: string): Promise<void>;

  /**
   * Removes many objects, in batches (S3: at most 1000 keys per request). Absent keys count as
   * deleted. Never throws for a per-key failure: those are reported in the result (a locked key,
   * under Object Lock, with the code `storage.object_locked`). Throws only when a key is invalid
   * (before anything is deleted) or the whole storage is unreachable.
   */
  deleteMany(keys: Iterable<string>): Promise<DeleteManyResult>;

  /**
   * Lists objects whose key starts with `prefix`, in ascending order of the keys' UTF-8 bytes on
   * every adapter, following pagination transparently, in constant memory. Non-recursive listings
   * also yield the sub-prefixes (`kind: 'prefix'`, ending in `/`) directly under `prefix`.
   * A prefix with no objects yields nothing.
   */
  list(options?: ListOptions): AsyncIterable<ListEntry>;

  /**
   * Copies an object inside this storage, keeping content type, disposition, metadata and SHA-256.
   * Missing source → `ObjectNotFound`; with `ifNoneMatch: '*'`, an existing destination raises
   * `PreconditionFailed` and stays untouched.
   */
  copy(sourceKey: string, destinationKey: string, options?: CopyOptions): Promise<ObjectInfo>;

  /**
   * Makes content that another writer left in this storage (a tus store's finished upload) the
   * object `key`, without streaming it through docstore: the content at `sourceKey` is foreign,
   * outside docstore's object format (on S3 a plain object at that key; on local disk the plain
   * file at the key's path under the root, which no listing shows: docstore's own files end in
   * `\obj`). Local disk appends the description to that file and links it into place; S3 copies it
   * inside the backend. Create-only: an existing `key` raises `PreconditionFailed` and stays
   * untouched. The object appears whole or not at all. On success the source is gone; on failure
   * it is left as it was. Missing source → `ObjectNotFound`; a source of another length than
   * `options.size` → `IntegrityError`, nothing adopted. `options.sha256` is stored as the object's
   * SHA-256 without reading the content: the caller computed it over these very bytes (while they
   * were received, or by reading the source once). A storage whose `capabilities.adoptsForeignContent`
   * is false (client-side encryption, S3 with server-side encryption or Object Lock: the bytes
   * would have to be rewritten) raises `AdoptionUnsupported` before touching anything.
   */
  adopt(sourceKey: string, key: string, options: AdoptOptions): Promise<PutResult>;

  /**
   * Object Lock: sets the retain-until date of every stored version of `key` to `retainUntil`
   * where that is later than the version's own date, in the storage's lock mode. A lock is never
   * shortened: a version locked until a later date keeps it (under compliance nobody can shorten
   * it; under governance docstore does not, see `docs/retention.md`). Returns the lock now in
   * effect on the current version. Missing key → `ObjectNotFound`; a storage without Object Lock
   * (`capabilities.objectLock` false) → `ObjectLockUnsupported`.
   */
  extendRetention(key: string, retainUntil: Date): Promise<ObjectLockState>;

  /**
   * Object Lock: places (`true`) or releases (`false`) a legal hold on every stored version of
   * `key`. A held version cannot be deleted whatever its retain-until date. Missing key →
   * `ObjectNotFound`; a storage without Object Lock → `ObjectLockUnsupported`.
   */
  setLegalHold(key: string, on: boolean): Promise<ObjectLockState>;

  /**
   * A time-limited URL that lets anyone holding it download the object with a plain HTTP GET.
   * S3: signed against the public endpoint. Local: a URL carrying an HMAC-signed token bound to
   * the key and the method, served by the HTTP layer.
   */
  presignGet(key: string, options: PresignGetOptions): Promise<string>;

  /** A time-limited URL that lets anyone holding it upload the object with a plain HTTP PUT. */
  presignPut(key: string, options: PresignPutOptions): Promise<string>;

  /**
   * Verifies that the storage is reachable and usable (for start-up and readiness checks):
   * raises `StorageUnavailable`, `InvalidCredentials`, `BucketNotFound` or `PermissionDenied`.
   */
  check(): Promise<void>;
}

/** What a `put` accepts: bytes in memory, or a stream of unknown length. */
export type PutBody = Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

export interface PutOptions {
  /** MIME type stored with the object. @default 'application/octet-stream' */
  contentType?: string;
  /** `Content-Disposition` served with downloads; printable ASCII (RFC 6266 `filename*` for Unicode). */
  contentDisposition?: string;
  /**
   * User metadata. Keys: lower-case `a-z`, `0-9` and `-`, not starting with `docstore-` (reserved).
   * Values: any Unicode string. At most 2 KiB in all (the S3 limit).
   */
  metadata?: Record<string, string>;
  /** `'*'`: create only; an existing key raises `PreconditionFailed`. */
  ifNoneMatch?: '*';
  /**
   * The SHA-256 (lower-case hex) the content must have: when the streamed bytes hash otherwise,
   * the put raises `IntegrityError` and stores nothing (mirrors verify every copy this way).
   */
  expectedSha256?: string;
  /** Aborts the upload; the put then rejects with `OperationAborted` and stores nothing. */
  signal?: AbortSignal;
  /**
   * Object Lock: the object cannot be deleted or overwritten in place before this date (a new put
   * of the key adds a version; the locked one stays). Applied by the write itself where the backend
   * honours it (S3 PutObject, CreateMultipartUpload, CopyObject headers) and checked on the stored
   * version before the put returns. A storage without Object Lock refuses it with
   * `ObjectLockUnsupported` before reading the body.
   */
  retainUntil?: Date;
  /** Object Lock: the object is written under a legal hold (see `setLegalHold`). Same rules as `retainUntil`. */
  legalHold?: boolean;
  /**
   * For decorators only (encryption): metadata under the reserved `docstore-` prefix, computed once
   * the body has been read to its end (so it may depend on the whole content), stored with the
   * object like user metadata and returned in `ObjectInfo.metadata`. Called at most once; what it
   * throws fails the put, which then stores nothing. `docstore-sha256` cannot be set this way.
   */
  systemMetadata?: () => Record<string, string>;
}

/** The description `adopt` gives foreign content, and what the caller knows of that content. */
export interface AdoptOptions {
  /** @default 'application/octet-stream' */
  contentType?: string;
  /** As `PutOptions.contentDisposition`. */
  contentDisposition?: string;
  /** As `PutOptions.metadata`. */
  metadata?: Record<string, string>;
  /** The content's length in bytes: a source of another length is refused. */
  size: number;
  /** The content's SHA-256 (lower-case hex), stored as the object's. */
  sha256: string;
}

export interface PutResult {
  key: string;
  /** Bytes stored. */
  size: number;
  /** Entity tag as the backend reports it, without quotes. Not an MD5 in general. */
  etag: string;
  /** SHA-256 of the content, lower-case hex. */
  sha256: string;
  lastModified: Date;
}

/** Inclusive byte range: `{ start, end? }`, or the last `suffix` bytes. */
export type ByteRange = { start: number; end?: number } | { suffix: number };

export interface GetOptions {
  range?: ByteRange;
  signal?: AbortSignal;
  /**
   * Buffers to read the content into instead of allocating one per chunk (`BufferPool`): a storage
   * that reads into buffers of its own (local) then pushes each as one chunk (or the view of its
   * first bytes), and the consumer gives it back once written out. Storages whose bytes arrive in
   * buffers they do not allocate (S3, decryption) ignore it.
   */
  buffers?: { take(): Buffer };
}

export interface GetResult {
  /** The content (or the requested range of it). Consume or destroy it. */
  body: Readable;
  /** The whole object's description (its `size` is the full size, not the range's). */
  info: ObjectInfo;
  /** The bytes the body holds, inclusive, when a range was requested. */
  range?: { start: number; end: number };
}

export interface ObjectInfo {
  key: string;
  /** Size in bytes. */
  size: number;
  lastModified: Date;
  /** Entity tag without quotes. */
  etag: string;
  contentType: string;
  contentDisposition?: string;
  metadata: Record<string, string>;
  /** SHA-256 of the content, lower-case hex; absent only for objects written by other tools. */
  sha256?: string;
  /** The Object Lock of the current version, where the storage has Object Lock and the version is locked or held. */
  lock?: ObjectLockState;
}

/** The Object Lock of one stored version. */
export interface ObjectLockState {
  /** The version cannot be deleted before this date. Absent: no retention (a legal hold may still hold it). */
  retainUntil?: Date;
  /** `governance` or `compliance` (see `S3_OBJECT_LOCK`), with `retainUntil`. */
  mode?: ObjectLockMode;
  /** A legal hold is placed. */
  legalHold: boolean;
}

export type ObjectLockMode = 'governance' | 'compliance';

/**
 * The Object Lock of a document kept permanently (minutes, regulations, basic deed): retained
 * this many years after `from` (its upload), and extendable later. Not 9999: a compliance lock
 * can never be undone, and most S3 services accept no more than 100 years for a default rule
 * (see docs/retention.md, "S3 Object Lock").
 */
export const PERMANENT_LOCK_YEARS = 100;

/**
 * The latest retain-until date a storage is asked to keep: 2106-02-07T06:28:15Z, the largest
 * instant in unsigned 32-bit seconds. Ceph RGW 16 stores the date that way and silently wraps a
 * later one into the past (2126-12-05 reads back as 1990-10-29, one second past the limit as
 * 1970-01-01), leaving the version unlocked while the write succeeds. The S3 adapter asks for this
 * date instead of any later one (`permanentLockUntil` after 2006, a long period): the lock still
 * lasts decades and can be extended later where the service stores later dates.
 */
export const LATEST_RETAIN_UNTIL = new Date('2106-02-07T06:28:15Z');

/** `from` plus `PERMANENT_LOCK_YEARS` years (UTC; 29 February gives 1 March in a year without one). */
export function permanentLockUntil(from: Date): Date {
  const until = new Date(from.getTime());
  until.setUTCFullYear(until.getUTCFullYear() + PERMANENT_LOCK_YEARS);
  return until;
}

export interface ListOptions {
  /** Only keys starting with this string. @default '' */
  prefix?: string;
  /** false: stop at the next `/` after the prefix and yield sub-prefixes. @default true */
  recursive?: boolean;
  /** Only keys (and prefixes) sorting strictly after this one. */
  startAfter?: string;
  /** How many entries to fetch per request to the backend (1–1000). @default 1000 */
  pageSize?: number;
}

export interface ListedObject {
  kind: 'object';
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
  /** The SHA-256, when the adapter knows it without another request (local); else use `stat`. */
  sha256?: string;
}

export interface ListedPrefix {
  kind: 'prefix';
  /** The sub-prefix, ending in `/`. */
  prefix: string;
}

export type ListEntry = ListedObject | ListedPrefix;

export interface DeleteManyResult {
  /** Keys removed (or already absent). */
  deleted: string[];
  /** Keys that could not be removed, with the reason. */
  failed: Array<{ key: string; code: string; message: string }>;
}

export interface CopyOptions {
  /** `'*'`: create only; an existing destination raises `PreconditionFailed`. */
  ifNoneMatch?: '*';
  /**
   * Copy only while the source's entity tag is still this one (as `stat` or `get` reported it);
   * otherwise raise `PreconditionFailed` and copy nothing: the caller copies the version it
   * inspected.
   */
  ifSourceMatch?: string;
  /**
   * Object Lock of the copy. Under Object Lock a copy is never less protected than its source: the
   * source's retain-until date and legal hold are carried over, and these may only add to them
   * (a later date, a hold). Refused with `ObjectLockUnsupported` by a storage without Object Lock.
   */
  retainUntil?: Date;
  /** Object Lock: the copy is written under a legal hold (see `retainUntil`). */
  legalHold?: boolean;
  /**
   * For decorators only (encryption): reserved `docstore-` metadata set on the copy over the
   * source's; the rest of the description is kept. With the source as destination, it rewrites
   * that metadata in place, inside the backend where the backend copies (S3). Same rules as
   * `PutOptions.systemMetadata`.
   */
  systemMetadata?: Record<string, string>;
}

export interface PresignGetOptions {
  /** Lifetime of the URL in seconds (1 – 604800). */
  expiresInSeconds: number;
  /** Overrides the `Content-Disposition` of the download. */
  contentDisposition?: string;
  /** Overrides the `Content-Type` of the download. */
  contentType?: string;
}

export interface PresignPutOptions {
  /** Lifetime of the URL in seconds (1 – 604800). */
  expiresInSeconds: number;
  /** The `Content-Type` the uploader must send and that is stored. */
  contentType?: string;
}

export interface StorageCapabilities {
  /** `ifNoneMatch: '*'` on put is enforced atomically by the backend (not by a check-then-write). */
  atomicCreateOnly: boolean;
  /** `copy` runs inside the backend without streaming the bytes through docstore. */
  serverSideCopy: boolean;
  /** Presigned URLs are served by the backend itself (S3), not by docstore's HTTP layer (local). */
  presignedUrlsServedByBackend: boolean;
  /**
   * Object Lock is on (S3 with `S3_OBJECT_LOCK=governance|compliance` on a bucket that has it):
   * `retainUntil`/`legalHold` are accepted, `extendRetention`/`setLegalHold` work, the backend
   * refuses to delete a locked version, and `delete` removes every version of a key.
   */
  objectLock: boolean;
  /**
   * `adopt` makes foreign content an object without reading it (local disk; S3 without server-side
   * encryption or Object Lock). False: `adopt` raises `AdoptionUnsupported`, and the caller copies
   * the content with `put`.
   */
  adoptsForeignContent: boolean;
}
