import { randomUUID } from 'node:crypto';
import { Readable, addAbortSignal } from 'node:stream';
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
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
  type ListMultipartUploadsCommandOutput,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { compareKeys, normalizeKey, normalizePrefix } from '../object-key.js';
import { validateExpiresIn, validateRange } from '../object-options.js';
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
} from '../object-storage.js';
import { translateS3Error } from './s3-error-translation.js';
import { objectInfoFrom, parseContentRange, unquoteEtag } from './s3-metadata.js';
import type { ObjectLinkSigner } from '../object-link-signer.js';
import { S3ObjectWriter } from './s3-object-writer.js';
import { PartBufferPool } from './part-buffer-pool.js';
import { encryptionApplied, readEncryptionParams, writeEncryptionParams, type S3ServerSideEncryption } from './s3-server-side-encryption.js';
import { InvalidArgument, InvalidRange, PreconditionFailed, StorageOperationFailed, isStorageError } from '../storage-errors.js';

/** Streams larger than one part whose SHA-256 is not known beforehand are uploaded under this prefix, then copied into place with it. */
const TEMP_PREFIX = '\\docstore-tmp/';
const DELETE_BATCH = 1000;
/** Operations whose requests read an object (under SSE-C, with the customer key). */
const READS = new Set(['get', 'stat', 'copy']);

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
 * between two creators. The write paths, put and copy, live in `s3-object-writer.ts`.
 */
export class S3ObjectStorage implements ObjectStorage {
  readonly name = 's3';
  readonly capabilities: StorageCapabilities;
  private readonly client: S3Client;
  private readonly presignClient: S3Client;
  private readonly bucket: string;
  private readonly keyPrefix: string;
  private readonly endpoint: string;
  private readonly sse: S3ServerSideEncryption;
  private readonly signer: ObjectLinkSigner | undefined;
  private readonly writer: S3ObjectWriter;

  constructor(options: S3ObjectStorageOptions) {
    this.client = options.client;
    this.presignClient = options.presignClient ?? options.client;
    this.bucket = options.bucket;
    this.keyPrefix = normalizePrefix(options.keyPrefix ?? '');
    this.endpoint = options.endpointLabel ?? 's3';
    const partSizeBytes = options.partSizeBytes ?? 5 * 1024 * 1024;
    const queueSize = options.queueSize ?? 2;
    this.sse = options.serverSideEncryption ?? { mode: 'none' };
    this.signer = options.signer;
    if (partSizeBytes < 5 * 1024 * 1024) throw new RangeError('partSizeBytes must be at least 5 MiB (the S3 minimum)');
    if (!Number.isInteger(queueSize) || queueSize < 1) throw new RangeError('queueSize must be a whole number of at least 1');
    this.writer = new S3ObjectWriter({
      client: this.client,
      bucket: this.bucket,
      sse: this.sse,
      partBuffers: new PartBufferPool(partSizeBytes, queueSize + 1),
      queueSize,
      singlePutMaxBytes: Math.max(options.singlePutMaxBytes ?? 64 * 1024 * 1024, partSizeBytes),
      // Ceph RGW 16 answers 501 to a CopyObject from an SSE-C or SSE-KMS source, but copies its parts.
      copiesInParts: this.sse.mode === 'SSE-C' || this.sse.mode === 'aws:kms',
      send: (operation, key, command, signal, errorKey) => this.send(operation, key, command, signal, errorKey),
      objectKey: (key) => this.objectKey(key),
      temporaryObjectKey: () => `${this.keyPrefix}${TEMP_PREFIX}${randomUUID()}`,
      copySource: (objectKey) => this.copySource(objectKey),
      stat: (key) => this.stat(key),
      putResult: (key, size, sha256) => this.putResult(key, size, sha256),
      refuseExisting: (key) => this.refuseExisting(key),
    });
    this.capabilities = {
      // Single-request puts use If-None-Match; copies and multi-part streams check first (see refuseExisting).
      atomicCreateOnly: false,
      serverSideCopy: true,
      // Under SSE-C, links are served by docstore (see presignGet).
      presignedUrlsServedByBackend: this.sse.mode !== 'SSE-C',
    };
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    return this.writer.put(key, body, options);
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const normalized = normalizeKey(key);
    if (options.range !== undefined) validateRange(options.range);
    const output = await this.send<GetObjectCommandOutput>(
      'get',
      normalized,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.objectKey(normalized),
        ...readEncryptionParams(this.sse),
        ...(options.range === undefined ? {} : { Range: rangeHeader(options.range) }),
      }),
      options.signal,
    );
    const body = output.Body as Readable;
    const contentRange = parseContentRange(output.ContentRange);
    const size = contentRange?.total ?? output.ContentLength ?? 0;
    const info = objectInfoFrom(normalized, size, output);
    if (options.range === undefined) {
      if (options.signal !== undefined) addAbortSignal(options.signal, body);
      return { body, info };
    }
    // Some servers answer a range covering the whole object with 200 and no Content-Range.
    const range = contentRange === undefined ? { start: 0, end: size - 1 } : { start: contentRange.start, end: contentRange.end };
    if (size === 0) {
      body.destroy();
      throw InvalidRange.forObject(normalized, options.range, 0);
    }
    if (options.signal !== undefined) addAbortSignal(options.signal, body);
    return { body, info, range };
  }

  async stat(key: string): Promise<ObjectInfo> {
    const normalized = normalizeKey(key);
    const output = await this.send<HeadObjectCommandOutput>('stat', normalized, new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(normalized), ...readEncryptionParams(this.sse) }));
    return objectInfoFrom(normalized, output.ContentLength ?? 0, output);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.stat(key);
      return true;
    } catch (error) {
      if (isStorageError(error) && error.code === 'storage.not_found') return false;
      // Under SSE-C: an object is there, written under another customer key.
      if (isStorageError(error) && error.code === 'storage.key_unavailable') return true;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const normalized = normalizeKey(key);
    await this.send('delete', normalized, new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(normalized) }));
  }

  async deleteMany(keys: Iterable<string>): Promise<DeleteManyResult> {
    const normalized = [...keys].map((key) => normalizeKey(key));
    const result: DeleteManyResult = { deleted: [], failed: [] };
    for (let offset = 0; offset < normalized.length; offset += DELETE_BATCH) {
      const batch = normalized.slice(offset, offset + DELETE_BATCH);
      const output = await this.send<DeleteObjectsCommandOutput>(
        'deleteMany',
        undefined,
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((key) => ({ Key: this.objectKey(key) })), Quiet: true },
        }),
      );
      const failed = new Map<string, { code: string; message: string }>();
      for (const error of output.Errors ?? []) {
        if (error.Key === undefined) continue;
        failed.set(this.fromObjectKey(error.Key), { code: error.Code ?? 'unknown', message: error.Message ?? '' });
      }
      for (const key of batch) {
        const failure = failed.get(key);
        if (failure === undefined) result.deleted.push(key);
        else result.failed.push({ key, code: `s3.${failure.code}`, message: failure.message });
      }
    }
    return result;
  }

  async *list(options: ListOptions = {}): AsyncIterable<ListEntry> {
    const prefix = normalizePrefix(options.prefix);
    const recursive = options.recursive ?? true;
    const pageSize = options.pageSize ?? 1000;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      throw InvalidArgument.because('pageSize', 'must be a whole number from 1 to 1000');
    }
    const startAfter = options.startAfter === undefined ? undefined : this.objectKey(options.startAfter.normalize('NFC'));
    const temporary = this.keyPrefix + TEMP_PREFIX;
    let continuationToken: string | undefined;
    do {
      const page = await this.send<ListObjectsV2CommandOutput>(
        'list',
        prefix,
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.keyPrefix + prefix,
          MaxKeys: pageSize,
          ...(recursive ? {} : { Delimiter: '/' }),
          ...(startAfter === undefined || continuationToken !== undefined ? {} : { StartAfter: startAfter }),
          ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
        }),
      );
      const entries: ListEntry[] = [];
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || object.Key.startsWith(temporary)) continue;
        entries.push({
          kind: 'object',
          key: this.fromObjectKey(object.Key),
          size: object.Size ?? 0,
          lastModified: object.LastModified ?? new Date(0),
          etag: unquoteEtag(object.ETag),
        });
      }
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix === undefined || common.Prefix.startsWith(temporary)) continue;
        const entry: ListEntry = { kind: 'prefix', prefix: this.fromObjectKey(common.Prefix) };
        // Servers differ on whether StartAfter excludes a prefix that sorts before it.
        if (startAfter !== undefined && compareKeys(common.Prefix, startAfter) <= 0) continue;
        entries.push(entry);
      }
      entries.sort((a, b) => compareKeys(entryKey(a), entryKey(b)));
      yield* entries;
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async copy(sourceKey: string, destinationKey: string, options: CopyOptions = {}): Promise<ObjectInfo> {
    return this.writer.copy(sourceKey, destinationKey, options);
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    const normalized = normalizeKey(key);
    validateExpiresIn(options.expiresInSeconds);
    if (this.sse.mode === 'SSE-C') return this.docstoreSigner(normalized).signGet(normalized, options);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(normalized),
      ...(options.contentDisposition === undefined ? {} : { ResponseContentDisposition: options.contentDisposition }),
      ...(options.contentType === undefined ? {} : { ResponseContentType: options.contentType }),
    });
    return getSignedUrl(this.presignClient, command, { expiresIn: options.expiresInSeconds });
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<string> {
    const normalized = normalizeKey(key);
    validateExpiresIn(options.expiresInSeconds);
    if (this.sse.mode !== 'none' && this.signer !== undefined) {
      // The encryption headers would have to be sent by the uploader: docstore receives it instead.
      return this.signer.signPut(normalized, options);
    }
    if (this.sse.mode === 'SSE-C') this.docstoreSigner(normalized);
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(normalized),
      ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
    });
    return getSignedUrl(this.presignClient, command, {
      expiresIn: options.expiresInSeconds,
      ...(options.contentType === undefined ? {} : { signableHeaders: new Set(['content-type']) }),
    });
  }

  async check(): Promise<void> {
    await this.send('check', undefined, new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.keyPrefix, MaxKeys: 1 }));
  }

  /**
   * Writes, inspects and removes a probe object (hidden under the temporary prefix) to make sure
   * the server really applies the configured server-side encryption: some accept the header and
   * store plaintext (Ceph RGW 16 with `AES256`). Raises `StorageOperationFailed` when it does not.
   */
  async verifyServerSideEncryption(): Promise<void> {
    if (this.sse.mode === 'none') return;
    const probe = `${this.keyPrefix}${TEMP_PREFIX}sse-probe-${randomUUID()}`;
    await this.send('check', undefined, new PutObjectCommand({ Bucket: this.bucket, Key: probe, Body: 'docstore encryption probe', ...writeEncryptionParams(this.sse) }));
    try {
      const head = await this.send<HeadObjectCommandOutput>('check', undefined, new HeadObjectCommand({ Bucket: this.bucket, Key: probe, ...readEncryptionParams(this.sse) }));
      if (!encryptionApplied(this.sse, head)) {
        throw StorageOperationFailed.unsupported(
          'check',
          `the server accepted server-side encryption ${this.sse.mode} but stored the object unencrypted (Ceph RGW before 17 ignores AES256)`,
        );
      }
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: probe })).catch(() => undefined);
    }
  }

  /**
   * Removes what interrupted puts left behind, older than `olderThanMs`: temporary objects, and
   * incomplete multipart uploads under this storage's key prefix (long streams whose SHA-256 was
   * known are uploaded straight to their key). Returns how many were removed.
   */
  async removeStaleUploads(olderThanMs = 3_600_000, now = new Date()): Promise<number> {
    const temporary = this.keyPrefix + TEMP_PREFIX;
    const cutoff = now.getTime() - olderThanMs;
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.send<ListObjectsV2CommandOutput>(
        'cleanup',
        undefined,
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: temporary, ...(token === undefined ? {} : { ContinuationToken: token }) }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || (object.LastModified?.getTime() ?? 0) > cutoff) continue;
        await this.send('cleanup', undefined, new DeleteObjectCommand({ Bucket: this.bucket, Key: object.Key }));
        removed++;
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    for (const upload of await this.incompleteUploads()) {
      if ((upload.initiated?.getTime() ?? 0) > cutoff) continue;
      await this.send('cleanup', undefined, new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.key, UploadId: upload.uploadId }));
      removed++;
    }
    return removed;
  }

  /** Incomplete multipart uploads under `prefix` (full object keys), every page. Used by cleanup and tests. */
  async incompleteUploads(prefix = this.keyPrefix): Promise<Array<{ key: string; uploadId: string; initiated?: Date }>> {
    const uploads: Array<{ key: string; uploadId: string; initiated?: Date }> = [];
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      const page = await this.send<ListMultipartUploadsCommandOutput>('cleanup', undefined, new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, ...markers }));
      for (const upload of page.Uploads ?? []) {
        if (upload.Key === undefined || upload.UploadId === undefined) continue;
        uploads.push({ key: upload.Key, uploadId: upload.UploadId, ...(upload.Initiated === undefined ? {} : { initiated: upload.Initiated }) });
      }
      if (page.IsTruncated !== true || page.NextKeyMarker === undefined) return uploads;
      markers = { KeyMarker: page.NextKeyMarker, ...(page.NextUploadIdMarker === undefined ? {} : { UploadIdMarker: page.NextUploadIdMarker }) };
    }
  }

  /**
   * Check-then-write guard for create-only copies: some servers (Ceph 16) ignore `If-None-Match`
   * on CopyObject, so the destination is checked first; the header is still sent, making the
   * copy atomic where the server honours it.
   */
  private async refuseExisting(key: string): Promise<void> {
    if (await this.exists(key)) throw PreconditionFailed.alreadyExists(key);
  }

  private docstoreSigner(key: string): ObjectLinkSigner {
    if (this.signer === undefined) {
      throw StorageOperationFailed.during('presign', key, { context: { reason: 'SSE-C links must be served by docstore: no link signer configured' } });
    }
    return this.signer;
  }

  /**
   * Completes a put result with one HEAD, when the write's response lacks ETag or date: Ceph 16
   * returns an empty ETag for multipart uploads.
   */
  private async putResult(key: string, size: number, sha256: string): Promise<PutResult> {
    const info = await this.stat(key);
    return { key, size, sha256, etag: info.etag, lastModified: info.lastModified };
  }

  /** Sends one command, translating its failure; `errorKey` names the key a conflict concerns. */
  private async send<Output>(
    operation: string,
    key: string | undefined,
    command: object,
    signal?: AbortSignal,
    errorKey?: string,
  ): Promise<Output> {
    try {
      const send = this.client.send.bind(this.client) as (command: object, options: object) => Promise<Output>;
      return await send(command, signal === undefined ? {} : { abortSignal: signal });
    } catch (error) {
      const conflictKey = errorKey ?? key;
      const scope = { operation, key, bucket: this.bucket, endpoint: this.endpoint, readsWithCustomerKey: this.sse.mode === 'SSE-C' && READS.has(operation) };
      const translated = translateS3Error(error, scope, signal);
      if (translated.code === 'storage.precondition_failed' && conflictKey !== key) {
        throw translateS3Error(error, { ...scope, key: conflictKey }, signal);
      }
      throw translated;
    }
  }

  private objectKey(key: string): string {
    return this.keyPrefix + key;
  }

  private fromObjectKey(objectKey: string): string {
    return objectKey.startsWith(this.keyPrefix) ? objectKey.slice(this.keyPrefix.length) : objectKey;
  }

  /** `bucket/key`, URL-encoded per path segment (keys with `+`, spaces and Unicode). */
  private copySource(objectKey: string): string {
    return `${this.bucket}/${objectKey.split('/').map((segment) => encodeURIComponent(segment)).join('/')}`;
  }
}

function rangeHeader(range: ByteRange): string {
  return 'suffix' in range ? `bytes=-${range.suffix}` : `bytes=${range.start}-${range.end ?? ''}`;
}

function entryKey(entry: ListEntry): string {
  return entry.kind === 'object' ? entry.key : entry.prefix;
}
