import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type DeleteObjectsCommandOutput,
  type HeadObjectCommandOutput,
  type ListMultipartUploadsCommandOutput,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { normalizeKey, normalizePrefix } from '../object-key.js';
import type { ObjectLinkSigner } from '../object-link-signer.js';
import { validateAdoptOptions, validateExpiresIn } from '../object-options.js';
import type {
  AdoptOptions,
  CopyOptions,
  DeleteManyResult,
  GetOptions,
  GetResult,
  ListEntry,
  ListOptions,
  ObjectInfo,
  ObjectLockMode,
  ObjectLockState,
  ObjectStorage,
  PresignGetOptions,
  PresignPutOptions,
  PutBody,
  PutOptions,
  PutResult,
  StorageCapabilities,
} from '../object-storage.js';
import { AdoptionUnsupported, ObjectLockUnsupported, StorageOperationFailed, isStorageError } from '../storage-errors.js';
import { adoptForeignObject } from './s3-foreign-adoption.js';
import { INTERNAL_PREFIXES } from '../internal-keys.js';
import { PartBufferPool } from './part-buffer-pool.js';
import { TaskPool } from '../../lib/task-pool.js';
import { S3ObjectLock, requestedLock, strongerLock } from './s3-object-lock.js';
import { S3ObjectReader } from './s3-object-reader.js';
import { S3ObjectWriter } from './s3-object-writer.js';
import { S3RequestContext } from './s3-request-context.js';
import { encryptionApplied, readEncryptionParams, writeEncryptionParams, type S3ServerSideEncryption } from './s3-server-side-encryption.js';

const DELETE_BATCH = 1000;
/** Keys whose versions `deleteMany` removes at once under Object Lock (each key takes a listing and a request per version). */
const DELETE_CONCURRENCY = 8;
/** Failures of the whole storage, which `deleteMany` throws rather than reports per key. */
const UNREACHABLE = new Set(['storage.unavailable', 'storage.invalid_credentials', 'storage.bucket_not_found']);

export interface S3ObjectStorageOptions {
  /** Client for every request. */
  client: S3Client;
  /** Client configured with the public endpoint, used only to sign URLs. @default client */
  presignClient?: S3Client;
  bucket: string;
  /** Prepended to every key (for example `docstore/`), stripped from listings. @default '' */
  keyPrefix?: string;
  /** Endpoint shown in errors (never credentials). */
  endpointLabel?: string;
  /** Multipart part size in bytes; streams up to this size go in one PutObject. @default 5 MiB (the S3 minimum) */
  partSizeBytes?: number;
  /** Bodies already in memory up to this size go in one PutObject, larger ones multipart. @default 64 MiB */
  singlePutMaxBytes?: number;
  /**
   * Parts uploaded in parallel. A streamed put holds about `(queueSize + 1) × partSizeBytes`; as
   * many part buffers stay allocated between puts, for the next one. @default 2
   */
  queueSize?: number;
  /** Server-side encryption of every object written (and the customer key of every read, for SSE-C). @default none */
  serverSideEncryption?: S3ServerSideEncryption;
  /**
   * Signs links served by docstore's HTTP layer. Used under SSE-C, where a backend URL cannot carry
   * the customer key (the downloader would have to send it as headers; browsers cannot).
   */
  signer?: ObjectLinkSigner;
  /**
   * Object Lock (`S3_OBJECT_LOCK`): the mode of the retentions docstore sets. The bucket must have
   * Object Lock (see `verifyObjectLock`); the client should send Content-MD5 on uploads
   * (`contentMd5OnUploads`), which AWS requires of a locked write. @default off
   */
  objectLock?: ObjectLockMode;
}

/**
 * Stores objects in an S3 bucket (AWS, MinIO, Ceph RGW, Scaleway, OVH, Backblaze B2).
 * The SHA-256 travels as user metadata (`x-amz-meta-docstore-sha256`); ETags are never treated as
 * MD5s. Bodies in memory are hashed first and uploaded directly (one PutObject up to 64 MiB,
 * multipart above).
 * Streams that fit in one part go in one PutObject; longer streams are uploaded (multipart) to a
 * temporary key, then copied into place with their SHA-256, so the object appears whole or not at
 * all; when the caller gives their SHA-256 (`expectedSha256`), straight to their key instead,
 * completed only if they hash to it. A failed multipart upload is aborted, leaving no parts stored
 * and billed.
 * Create-only writes send `If-None-Match: *`; where that cannot be relied on (CopyObject and
 * CompleteMultipartUpload on Ceph 16), the destination is checked first, which leaves a short race
 * between two creators. The read paths live in `s3-object-reader.ts`, the write paths (put and
 * copy) in `s3-object-writer.ts`; both send through one `S3RequestContext` (`s3-request-context.ts`),
 * which knows the client, bucket, key prefix and encryption and translates failures.
 */
export class S3ObjectStorage implements ObjectStorage {
  readonly name = 's3';
  readonly capabilities: StorageCapabilities;
  private readonly context: S3RequestContext;
  private readonly presignClient: S3Client;
  private readonly signer: ObjectLinkSigner | undefined;
  private readonly reader: S3ObjectReader;
  private readonly writer: S3ObjectWriter;
  private readonly lock: S3ObjectLock | undefined;

  constructor(options: S3ObjectStorageOptions) {
    const partSizeBytes = options.partSizeBytes ?? 5 * 1024 * 1024;
    const queueSize = options.queueSize ?? 2;
    const sse = options.serverSideEncryption ?? { mode: 'none' };
    if (partSizeBytes < 5 * 1024 * 1024) throw new RangeError('partSizeBytes must be at least 5 MiB (the S3 minimum)');
    if (!Number.isInteger(queueSize) || queueSize < 1) throw new RangeError('queueSize must be a whole number of at least 1');
    this.context = new S3RequestContext({
      client: options.client,
      bucket: options.bucket,
      keyPrefix: normalizePrefix(options.keyPrefix ?? ''),
      endpoint: options.endpointLabel ?? 's3',
      sse,
      contentMd5OnUploads: options.objectLock !== undefined,
    });
    this.presignClient = options.presignClient ?? options.client;
    this.signer = options.signer;
    this.reader = new S3ObjectReader(this.context);
    this.lock = options.objectLock === undefined ? undefined : new S3ObjectLock(this.context, options.objectLock);
    this.writer = new S3ObjectWriter(this.context, this.reader, {
      ...(this.lock === undefined ? {} : { objectLock: this.lock }),
      partBuffers: new PartBufferPool(partSizeBytes, queueSize + 1),
      queueSize,
      singlePutMaxBytes: Math.max(options.singlePutMaxBytes ?? 64 * 1024 * 1024, partSizeBytes),
      // Ceph RGW 16 answers 501 to a CopyObject from an SSE-C or SSE-KMS source, but copies its parts.
      copiesInParts: sse.mode === 'SSE-C' || sse.mode === 'aws:kms',
    });
    this.capabilities = {
      // Single-request puts use If-None-Match; copies and multi-part streams check first (see the writer's refuseExisting).
      atomicCreateOnly: false,
      serverSideCopy: true,
      // Under SSE-C, links are served by docstore (see presignGet).
      presignedUrlsServedByBackend: sse.mode !== 'SSE-C',
      objectLock: this.lock !== undefined,
      // Foreign content was written without the encryption or the lock docstore's writes carry.
      adoptsForeignContent: sse.mode === 'none' && this.lock === undefined,
    };
  }

  /**
   * Under Object Lock, the lock asked for travels on the request that creates the object and is
   * then checked on the stored version, and applied where the server left it out (Ceph RGW 16
   * ignores it on CreateMultipartUpload and CopyObject: there, the object is unlocked for the
   * moment between its completion and PutObjectRetention).
   */
  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    const result = await this.writer.put(key, body, options);
    const lock = requestedLock(options);
    if (this.lock !== undefined && lock !== undefined) await this.lock.ensureApplied(result.key, lock);
    return result;
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    return this.reader.get(key, options);
  }

  async stat(key: string): Promise<ObjectInfo> {
    return this.reader.stat(key);
  }

  async exists(key: string): Promise<boolean> {
    return this.reader.exists(key);
  }

  async delete(key: string): Promise<void> {
    const normalized = normalizeKey(key);
    if (this.lock !== undefined) return this.lock.deleteAllVersions(normalized);
    await this.context.send('delete', normalized, new DeleteObjectCommand({ Bucket: this.context.bucket, Key: this.context.objectKey(normalized) }));
  }

  async deleteMany(keys: Iterable<string>): Promise<DeleteManyResult> {
    const normalized = [...keys].map((key) => normalizeKey(key));
    if (this.lock !== undefined) return this.deleteEachVersioned(normalized, this.lock);
    const result: DeleteManyResult = { deleted: [], failed: [] };
    for (let offset = 0; offset < normalized.length; offset += DELETE_BATCH) {
      const batch = normalized.slice(offset, offset + DELETE_BATCH);
      const output = await this.context.send<DeleteObjectsCommandOutput>(
        'deleteMany',
        undefined,
        new DeleteObjectsCommand({
          Bucket: this.context.bucket,
          Delete: { Objects: batch.map((key) => ({ Key: this.context.objectKey(key) })), Quiet: true },
        }),
      );
      const failed = new Map<string, { code: string; message: string }>();
      for (const error of output.Errors ?? []) {
        if (error.Key === undefined) continue;
        failed.set(this.context.fromObjectKey(error.Key), { code: error.Code ?? 'unknown', message: error.Message ?? '' });
      }
      for (const key of batch) {
        const failure = failed.get(key);
        if (failure === undefined) result.deleted.push(key);
        else result.failed.push({ key, code: `s3.${failure.code}`, message: failure.message });
      }
    }
    return result;
  }

  list(options: ListOptions = {}): AsyncIterable<ListEntry> {
    return this.reader.list(options);
  }

  /** Under Object Lock a copy is locked at least as its source is (date and hold), and as `options` ask. */
  async copy(sourceKey: string, destinationKey: string, options: CopyOptions = {}): Promise<ObjectInfo> {
    if (this.lock === undefined) return this.writer.copy(sourceKey, destinationKey, options);
    normalizeKey(destinationKey);
    const lock = strongerLock(requestedLock(options), (await this.reader.stat(sourceKey)).lock);
    const copied = await this.writer.copy(sourceKey, destinationKey, {
      ...options,
      ...(lock?.retainUntil === undefined ? {} : { retainUntil: lock.retainUntil }),
      ...(lock?.legalHold === true ? { legalHold: true } : {}),
    });
    if (lock === undefined) return copied;
    await this.lock.ensureApplied(copied.key, lock);
    return this.reader.stat(copied.key);
  }

  async adopt(sourceKey: string, key: string, options: AdoptOptions): Promise<PutResult> {
    const source = normalizeKey(sourceKey);
    const destination = normalizeKey(key);
    const validated = validateAdoptOptions(options);
    if (!this.capabilities.adoptsForeignContent) throw AdoptionUnsupported.by(this.name, destination, 'server-side encryption or Object Lock is on: foreign content lacks them');
    return adoptForeignObject(this.context, this.reader, source, destination, validated);
  }

  async extendRetention(key: string, retainUntil: Date): Promise<ObjectLockState> {
    return this.requireLock('extendRetention', key).extendRetention(normalizeKey(key), retainUntil);
  }

  async setLegalHold(key: string, on: boolean): Promise<ObjectLockState> {
    return this.requireLock('setLegalHold', key).setLegalHold(normalizeKey(key), on);
  }

  /**
   * Start-up, under `S3_OBJECT_LOCK`: refuses (`storage.object_lock_not_enabled`) a bucket without
   * Object Lock, with versioning off, or with a default retention rule. Nothing to check when off.
   */
  async verifyObjectLock(): Promise<void> {
    await this.lock?.verifyBucket();
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    const normalized = normalizeKey(key);
    validateExpiresIn(options.expiresInSeconds);
    if (this.context.sse.mode === 'SSE-C') return this.docstoreSigner(normalized).signGet(normalized, options);
    const command = new GetObjectCommand({
      Bucket: this.context.bucket,
      Key: this.context.objectKey(normalized),
      ...(options.contentDisposition === undefined ? {} : { ResponseContentDisposition: options.contentDisposition }),
      ...(options.contentType === undefined ? {} : { ResponseContentType: options.contentType }),
    });
    return getSignedUrl(this.presignClient, command, { expiresIn: options.expiresInSeconds });
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<string> {
    const normalized = normalizeKey(key);
    validateExpiresIn(options.expiresInSeconds);
    if (this.context.sse.mode !== 'none' && this.signer !== undefined) {
      // The encryption headers would have to be sent by the uploader: docstore receives it instead.
      return this.signer.signPut(normalized, options);
    }
    if (this.context.sse.mode === 'SSE-C') this.docstoreSigner(normalized);
    const command = new PutObjectCommand({
      Bucket: this.context.bucket,
      Key: this.context.objectKey(normalized),
      ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
    });
    return getSignedUrl(this.presignClient, command, {
      expiresIn: options.expiresInSeconds,
      ...(options.contentType === undefined ? {} : { signableHeaders: new Set(['content-type']) }),
    });
  }

  async check(): Promise<void> {
    await this.context.send('check', undefined, new ListObjectsV2Command({ Bucket: this.context.bucket, Prefix: this.context.keyPrefix, MaxKeys: 1 }));
  }

  /**
   * Writes, inspects and removes a probe object (hidden under the temporary prefix) to make sure
   * the server really applies the configured server-side encryption: some accept the header and
   * store plaintext (Ceph RGW 16 with `AES256`). Raises `StorageOperationFailed` when it does not.
   */
  async verifyServerSideEncryption(): Promise<void> {
    if (this.context.sse.mode === 'none') return;
    const probe = this.context.temporaryObjectKey(`sse-probe-${randomUUID()}`);
    await this.context.send('check', undefined, new PutObjectCommand({ Bucket: this.context.bucket, Key: probe, Body: 'docstore encryption probe', ...writeEncryptionParams(this.context.sse) }));
    try {
      const head = await this.context.send<HeadObjectCommandOutput>('check', undefined, new HeadObjectCommand({ Bucket: this.context.bucket, Key: probe, ...readEncryptionParams(this.context.sse) }));
      if (!encryptionApplied(this.context.sse, head)) {
        throw StorageOperationFailed.unsupported(
          'check',
          `the server accepted server-side encryption ${this.context.sse.mode} but stored the object unencrypted (Ceph RGW before 17 ignores AES256)`,
        );
      }
    } finally {
      if (this.lock === undefined) await this.context.sendIgnoringFailure(new DeleteObjectCommand({ Bucket: this.context.bucket, Key: probe }));
      else await this.lock.removeTemporary(probe);
    }
  }

  /**
   * Removes what interrupted puts left behind, older than `olderThanMs`: temporary objects, and
   * incomplete multipart uploads under this storage's key prefix (long streams whose SHA-256 was
   * known are uploaded straight to their key), but for unfinished resumable uploads (under
   * `INTERNAL_PREFIXES.resumableUploads`: they live a day and expire on their own). Returns how
   * many were removed.
   */
  async removeStaleUploads(olderThanMs = 3_600_000, now = new Date()): Promise<number> {
    const cutoff = now.getTime() - olderThanMs;
    // A versioned bucket (Object Lock) keeps removed temporary objects as versions under delete markers.
    let removed = this.lock === undefined ? await this.removeStaleTemporaryObjects(cutoff) : await this.lock.removeStaleTemporaryVersions(cutoff);
    for (const upload of await this.incompleteUploads()) {
      if ((upload.initiated?.getTime() ?? 0) > cutoff) continue;
      if (this.context.fromObjectKey(upload.key).startsWith(INTERNAL_PREFIXES.resumableUploads)) continue;
      await this.context.send('cleanup', undefined, new AbortMultipartUploadCommand({ Bucket: this.context.bucket, Key: upload.key, UploadId: upload.uploadId }));
      removed++;
    }
    return removed;
  }

  /** Temporary objects older than `cutoff` (an unversioned bucket); removed, counted. */
  private async removeStaleTemporaryObjects(cutoff: number): Promise<number> {
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.context.send<ListObjectsV2CommandOutput>(
        'cleanup',
        undefined,
        new ListObjectsV2Command({ Bucket: this.context.bucket, Prefix: this.context.temporaryPrefix, ...(token === undefined ? {} : { ContinuationToken: token }) }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || (object.LastModified?.getTime() ?? 0) > cutoff) continue;
        await this.context.send('cleanup', undefined, new DeleteObjectCommand({ Bucket: this.context.bucket, Key: object.Key }));
        removed++;
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return removed;
  }

  /** Incomplete multipart uploads under `prefix` (full object keys), every page. Used by cleanup and tests. */
  async incompleteUploads(prefix = this.context.keyPrefix): Promise<Array<{ key: string; uploadId: string; initiated?: Date }>> {
    const uploads: Array<{ key: string; uploadId: string; initiated?: Date }> = [];
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      const page = await this.context.send<ListMultipartUploadsCommandOutput>('cleanup', undefined, new ListMultipartUploadsCommand({ Bucket: this.context.bucket, Prefix: prefix, ...markers }));
      for (const upload of page.Uploads ?? []) {
        if (upload.Key === undefined || upload.UploadId === undefined) continue;
        uploads.push({ key: upload.Key, uploadId: upload.UploadId, ...(upload.Initiated === undefined ? {} : { initiated: upload.Initiated }) });
      }
      if (page.IsTruncated !== true || page.NextKeyMarker === undefined) return uploads;
      markers = { KeyMarker: page.NextKeyMarker, ...(page.NextUploadIdMarker === undefined ? {} : { UploadIdMarker: page.NextUploadIdMarker }) };
    }
  }

  /**
   * `deleteMany` under Object Lock: every version of each key (`DELETE_CONCURRENCY` keys at once, each
   * listed then removed version by version); a locked key is reported, not thrown.
   */
  private async deleteEachVersioned(keys: string[], lock: S3ObjectLock): Promise<DeleteManyResult> {
    const failures = new Map<number, { code: string; message: string }>();
    const pool = new TaskPool(DELETE_CONCURRENCY);
    let fatal: { error: unknown } | undefined;
    for (const [index, key] of keys.entries()) {
      if (fatal !== undefined) break;
      await pool.run(async () => {
        try {
          await lock.deleteAllVersions(key);
        } catch (error) {
          if (!isStorageError(error) || UNREACHABLE.has(error.code)) fatal ??= { error };
          else failures.set(index, { code: error.code, message: error.message });
        }
      });
    }
    await pool.drain();
    if (fatal !== undefined) throw fatal.error;
    const result: DeleteManyResult = { deleted: [], failed: [] };
    for (const [index, key] of keys.entries()) {
      const failure = failures.get(index);
      if (failure === undefined) result.deleted.push(key);
      else result.failed.push({ key, ...failure });
    }
    return result;
  }

  private requireLock(operation: string, key: string): S3ObjectLock {
    if (this.lock === undefined) throw ObjectLockUnsupported.by(this.name, operation, normalizeKey(key));
    return this.lock;
  }

  private docstoreSigner(key: string): ObjectLinkSigner {
    if (this.signer === undefined) {
      throw StorageOperationFailed.during('presign', key, { context: { reason: 'SSE-C links must be served by docstore: no link signer configured' } });
    }
    return this.signer;
  }
}
