import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type AbortMultipartUploadCommand,
  type CopyObjectCommandOutput,
  type HeadObjectCommandOutput,
  UploadPartCommand,
  type PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { normalizeKey } from '../object-key.js';
import { completeMetadata, validateCopyOptions, validatePutOptions, type ValidatedPutOptions } from '../object-options.js';
import type { CopyOptions, ObjectInfo, PutBody, PutOptions, PutResult } from '../object-storage.js';
import type { PartBufferPool } from './part-buffer-pool.js';
import { ContentDigest, bytesInMemory, sha256Of, toReadable, translateBodyFailure } from '../put-body.js';
import { responseDateOf } from './s3-client.js';
import { encodeMetadata, unquoteEtag } from './s3-metadata.js';
import { copyInParts } from './s3-multipart-copy.js';
import { uploadInParts, type CompletionOptions, type MultipartParams } from './s3-multipart-upload.js';
import { requestedLock, type RequestedLock, type S3ObjectLock } from './s3-object-lock.js';
import type { S3ObjectReader } from './s3-object-reader.js';
import type { S3RequestContext } from './s3-request-context.js';
import { copySourceEncryptionParams, readEncryptionParams, writeEncryptionParams } from './s3-server-side-encryption.js';
import { IntegrityError, ObjectLockUnsupported, OperationAborted, PreconditionFailed, isStorageError } from '../storage-errors.js';

/** Part size of copies made of parts (SSE-C, SSE-KMS): 1 GiB (S3 allows 5 MiB – 5 GiB). */
const COPY_PART_BYTES = 1024 * 1024 * 1024;

/** How the writer sizes its uploads. */
export interface S3WriteOptions {
  /** Where streamed parts are assembled; its `partBytes` is the part size. */
  partBuffers: PartBufferPool;
  /** Parts uploaded in parallel. */
  queueSize: number;
  /** Bodies in memory up to this size go in one PutObject. */
  singlePutMaxBytes: number;
  /** Copies are multipart uploads of UploadPartCopy parts (SSE-C and SSE-KMS on Ceph 16). */
  copiesInParts: boolean;
  /** Object Lock (`S3_OBJECT_LOCK`): its headers go on every write that creates the object; absent, a lock is refused. */
  objectLock?: S3ObjectLock;
}

/** Put options with the lock they ask for (sent with the request that creates the object, never on temporary ones). */
type WriteOptions = ValidatedPutOptions & { lock?: RequestedLock };

/**
 * The write paths of the S3 adapter, `put` and `copy` (see `S3ObjectStorage`). Puts: bodies in
 * memory in one PutObject or as a multipart upload of their slices; streams that fit in one part
 * in one PutObject; longer streams multipart, straight to their key when their SHA-256 is known
 * beforehand, else to a temporary key and then copied into place with it. Copies: one CopyObject,
 * or UploadPartCopy parts where the server refuses CopyObject from an encrypted source.
 */
export class S3ObjectWriter {
  constructor(
    private readonly context: S3RequestContext,
    /** Reads what a write must check or complete: the destination's presence, a put's ETag and date. */
    private readonly reader: S3ObjectReader,
    private readonly tuning: S3WriteOptions,
  ) {}

  /** `ObjectStorage.put` (see `S3ObjectStorage`). */
  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    const normalized = normalizeKey(key);
    const lock = this.lockOf('put', normalized, options);
    const validated: WriteOptions = { ...validatePutOptions(options), ...(lock === undefined ? {} : { lock }) };
    const { signal } = options;
    if (signal?.aborted === true) throw OperationAborted.during('put', normalized);
    const createOnly = options.ifNoneMatch === '*';
    const inMemory = bytesInMemory(body);
    const expected = options.expectedSha256;
    if (inMemory !== undefined) {
      return this.putBytes(normalized, inMemory, validated, createOnly, signal, expected);
    }
    const source = toReadable(body, signal);
    const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      const head: Buffer[] = [];
      let headBytes = 0;
      let ended = false;
      while (headBytes <= this.tuning.partBuffers.partBytes) {
        const next = await iterator.next();
        if (next.done === true) {
          ended = true;
          break;
        }
        head.push(next.value);
        headBytes += next.value.length;
      }
      if (ended) {
        // A body of one chunk (a small file read whole) is sent as it is, not copied.
        const bytes = head.length === 1 && Buffer.isBuffer(head[0]) ? head[0] : Buffer.concat(head, headBytes);
        return await this.putBytes(normalized, bytes, validated, createOnly, signal, expected);
      }
      return await this.putLongStream(normalized, head, iterator, validated, createOnly, signal, expected);
    } catch (error) {
      throw translateBodyFailure(error, 'put', normalized, signal);
    } finally {
      source.destroy();
    }
  }

  /**
   * A create-only multipart upload: `If-None-Match: *` on CompleteMultipartUpload, which Ceph 16
   * ignores, so the key is checked first too.
   */
  private createOnlyCompletion(key: string): CompletionOptions {
    return { ifNoneMatch: '*', beforeComplete: () => this.refuseExisting(key) };
  }

  /**
   * Check-then-write guard for create-only copies: some servers (Ceph 16) ignore `If-None-Match`
   * on CopyObject, so the destination is checked first; the header is still sent, making the
   * copy atomic where the server honours it.
   */
  private async refuseExisting(key: string): Promise<void> {
    if (await this.reader.exists(key)) throw PreconditionFailed.alreadyExists(key);
  }

  /**
   * Completes a put result with one HEAD, when the write's response lacks ETag or date: Ceph 16
   * returns an empty ETag for multipart uploads.
   */
  private async putResult(key: string, size: number, sha256: string): Promise<PutResult> {
    const info = await this.reader.stat(key);
    return { key, size, sha256, etag: info.etag, lastModified: info.lastModified };
  }

  /** Bytes already in memory: hash first, then one upload that carries the SHA-256. */
  private async putBytes(
    key: string,
    bytes: Buffer,
    options: WriteOptions,
    createOnly: boolean,
    signal: AbortSignal | undefined,
    expectedSha256?: string,
  ): Promise<PutResult> {
    const sha256 = sha256Of(bytes);
    if (expectedSha256 !== undefined && sha256 !== expectedSha256) throw IntegrityError.checksumMismatch(key, expectedSha256, sha256);
    const params = {
      Bucket: this.context.bucket,
      Key: this.context.objectKey(key),
      ...this.describedAs(options, sha256),
      ...writeEncryptionParams(this.context.sse),
    };
    if (bytes.length <= this.tuning.singlePutMaxBytes) {
      // Ceph RGW 16 ignores If-None-Match on PutObject in a versioned bucket (as Object Lock's are): check first there.
      if (createOnly && this.tuning.objectLock !== undefined) await this.refuseExisting(key);
      const output = await this.context.upload<PutObjectCommandOutput>(
        'put',
        key,
        new PutObjectCommand({ ...params, Body: bytes, ContentLength: bytes.length, ...(createOnly ? { IfNoneMatch: '*' } : {}) }),
        signal,
        sha256,
      );
      const lastModified = responseDateOf(output);
      // PutObject returns no Last-Modified: the response's Date is when the server stored it.
      if (output.ETag && lastModified !== undefined) {
        return { key, size: bytes.length, sha256, etag: unquoteEtag(output.ETag), lastModified };
      }
      return this.putResult(key, bytes.length, sha256);
    }
    await this.multipartUpload(key, params, bytes, signal, createOnly ? this.createOnlyCompletion(key) : {});
    return this.putResult(key, bytes.length, sha256);
  }

  /**
   * A stream longer than one part. Its SHA-256 known beforehand (`expectedSha256`): multipart
   * straight to the key, completed only once the bytes sent hash to it. Otherwise multipart to a
   * temporary key, then a copy that adds the SHA-256.
   */
  private async putLongStream(
    key: string,
    head: Buffer[],
    rest: AsyncIterator<Buffer>,
    options: WriteOptions,
    createOnly: boolean,
    signal: AbortSignal | undefined,
    expectedSha256?: string,
  ): Promise<PutResult> {
    const digest = new ContentDigest();
    const body = (async function* () {
      // Shift rather than iterate, so that each buffered chunk is released once handed on.
      for (let chunk = head.shift(); chunk !== undefined; chunk = head.shift()) {
        digest.update(chunk);
        yield chunk;
      }
      for (let next = await rest.next(); next.done !== true; next = await rest.next()) {
        digest.update(next.value);
        yield next.value;
      }
    })();
    if (expectedSha256 !== undefined) {
      const description = { ...this.describedAs(options, expectedSha256), ...writeEncryptionParams(this.context.sse) };
      const createOnlyCompletion = createOnly ? this.createOnlyCompletion(key) : {};
      await this.multipartUpload(key, { Bucket: this.context.bucket, Key: this.context.objectKey(key), ...description }, body, signal, {
        ...createOnlyCompletion,
        beforeComplete: async () => {
          const sha256 = digest.sha256();
          if (sha256 !== expectedSha256) throw IntegrityError.checksumMismatch(key, expectedSha256, sha256);
          await createOnlyCompletion.beforeComplete?.();
        },
      });
      return this.putResult(key, digest.size, expectedSha256);
    }
    const temporaryKey = this.context.temporaryObjectKey();
    try {
      await this.multipartUpload(key, { Bucket: this.context.bucket, Key: temporaryKey, ...writeEncryptionParams(this.context.sse) }, body, signal);
      const sha256 = digest.sha256();
      if (createOnly) await this.refuseExisting(key);
      if (this.tuning.copiesInParts) {
        await this.copyInParts(temporaryKey, key, digest.size, this.describedAs(options, sha256), signal);
        return await this.putResult(key, digest.size, sha256);
      }
      const output = await this.context.send<CopyObjectCommandOutput>(
        'put',
        key,
        new CopyObjectCommand({
          Bucket: this.context.bucket,
          Key: this.context.objectKey(key),
          CopySource: this.context.copySource(temporaryKey),
          MetadataDirective: 'REPLACE',
          ...this.describedAs(options, sha256),
          ...writeEncryptionParams(this.context.sse),
          ...copySourceEncryptionParams(this.context.sse),
          ...(createOnly ? { IfNoneMatch: '*' } : {}),
        }),
        signal,
      );
      const copied = output.CopyObjectResult;
      if (copied?.ETag && copied.LastModified !== undefined) {
        return { key, size: digest.size, sha256, etag: unquoteEtag(copied.ETag), lastModified: copied.LastModified };
      }
      return await this.putResult(key, digest.size, sha256);
    } finally {
      // A failed removal must not mask the put's own outcome: the temporary key is hidden from
      // listings and removed by removeStaleUploads() at the next start.
      // Under Object Lock the bucket keeps versions: a DeleteObject would only hide the temporary one.
      if (this.tuning.objectLock === undefined) await this.context.sendIgnoringFailure(new DeleteObjectCommand({ Bucket: this.context.bucket, Key: temporaryKey }));
      else await this.tuning.objectLock.removeTemporary(temporaryKey);
    }
  }

  /** One multipart upload (see uploadInParts); on any failure the upload is aborted before this rejects. */
  private async multipartUpload(
    key: string,
    params: MultipartParams,
    body: Buffer | AsyncIterable<Uint8Array>,
    signal: AbortSignal | undefined,
    completion?: CompletionOptions,
  ): Promise<void> {
    const context = {
      // Parts (bodies in memory) go through `upload`, which sends them without the SDK's request pipeline.
      send: <Output>(command: object) =>
        command instanceof UploadPartCommand ? this.context.upload<Output>('put', key, command, signal) : this.context.send<Output>('put', key, command, signal),
      abort: (command: AbortMultipartUploadCommand) => this.context.client.send(command),
      buffers: this.tuning.partBuffers,
      queueSize: this.tuning.queueSize,
      sse: this.context.sse,
    };
    await uploadInParts(context, params, body, completion);
  }

  /** `ObjectStorage.copy` (see `S3ObjectStorage`). */
  async copy(sourceKey: string, destinationKey: string, options: CopyOptions = {}): Promise<ObjectInfo> {
    const source = normalizeKey(sourceKey);
    const destination = normalizeKey(destinationKey);
    validateCopyOptions(options);
    const lockHeaders = this.tuning.objectLock?.writeParams(this.lockOf('copy', destination, options)) ?? {};
    if (options.ifNoneMatch === '*') await this.refuseExisting(destination);
    try {
      if (!this.tuning.copiesInParts && options.systemMetadata === undefined && options.ifSourceMatch === undefined) {
        await this.copyObject(source, destination, { MetadataDirective: 'COPY', ...lockHeaders }, options);
        return await this.reader.stat(destination);
      }
      // The source's description is read first: to copy it part by part (Ceph RGW 16 answers 501 to
      // a CopyObject from an SSE-C or SSE-KMS source, but copies its parts), to set system metadata
      // over it, or to check its entity tag; the copy is then bound to that very version.
      const head = await this.context.send<HeadObjectCommandOutput>(
        'copy',
        source,
        new HeadObjectCommand({
          Bucket: this.context.bucket,
          Key: this.context.objectKey(source),
          ...readEncryptionParams(this.context.sse),
          ...(options.ifSourceMatch === undefined ? {} : { IfMatch: `"${options.ifSourceMatch}"` }),
        }),
      );
      const description = {
        ContentType: head.ContentType,
        ...(head.ContentDisposition === undefined || head.ContentDisposition === '' ? {} : { ContentDisposition: head.ContentDisposition }),
        Metadata: { ...(head.Metadata ?? {}), ...encodeMetadata(options.systemMetadata ?? {}) },
        ...lockHeaders,
      };
      if (this.tuning.copiesInParts) await this.copyInParts(this.context.objectKey(source), destination, head.ContentLength ?? 0, description, undefined, head.ETag);
      else await this.copyObject(source, destination, { MetadataDirective: 'REPLACE', ...description, ...(head.ETag === undefined ? {} : { CopySourceIfMatch: head.ETag }) }, options);
      return await this.reader.stat(destination);
    } catch (error) {
      // With a source condition, a failed precondition that is not the destination's is the source's.
      if (options.ifSourceMatch !== undefined && options.ifNoneMatch === undefined && isStorageError(error) && error.code === 'storage.precondition_failed') {
        throw PreconditionFailed.changed(source, { cause: error });
      }
      throw error;
    }
  }

  /** The lock `options` ask for; refused (`ObjectLockUnsupported`) when Object Lock is off. */
  private lockOf(operation: string, key: string, options: { retainUntil?: Date; legalHold?: boolean }): RequestedLock | undefined {
    const lock = requestedLock(options);
    if (lock !== undefined && this.tuning.objectLock === undefined) throw ObjectLockUnsupported.by('s3', operation, key);
    return lock;
  }

  /** What S3 stores of a put's description, and the lock it asks for. */
  private describedAs(options: WriteOptions, sha256: string): ReturnType<typeof describedAs> {
    return { ...describedAs(options, sha256), ...this.tuning.objectLock?.writeParams(options.lock) };
  }

  /** One CopyObject of `source` onto `destination` (create-only when asked), with the configured encryption. */
  private async copyObject(source: string, destination: string, description: Record<string, unknown>, options: CopyOptions): Promise<void> {
    await this.context.send(
      'copy',
      source,
      new CopyObjectCommand({
        Bucket: this.context.bucket,
        Key: this.context.objectKey(destination),
        CopySource: this.context.copySource(this.context.objectKey(source)),
        ...description,
        ...writeEncryptionParams(this.context.sse),
        ...copySourceEncryptionParams(this.context.sse),
        ...(options.ifNoneMatch === '*' ? { IfNoneMatch: '*' } : {}),
      }),
      undefined,
      destination,
    );
  }

  /**
   * Copies `sourceObjectKey` (a full object key) to `key` as a multipart upload of UploadPartCopy
   * parts: the SSE-C and SSE-KMS path, since Ceph RGW 16 refuses CopyObject from such a source
   * (501) but copies parts. The upload is aborted on any failure; an empty source is written directly.
   */
  private async copyInParts(
    sourceObjectKey: string,
    key: string,
    size: number,
    description: Record<string, unknown>,
    signal?: AbortSignal,
    sourceEtag?: string,
  ): Promise<void> {
    await copyInParts(
      {
        bucket: this.context.bucket,
        send: (command) => this.context.send('copy', key, command, signal),
        abort: (command) => this.context.client.send(command),
        partBytes: COPY_PART_BYTES,
        sse: this.context.sse,
      },
      this.context.copySource(sourceObjectKey),
      this.context.objectKey(key),
      size,
      description,
      sourceEtag,
    );
  }
}

/** What S3 stores of a put's description: content type, disposition, user metadata and the SHA-256. */
function describedAs(options: WriteOptions, sha256: string): { ContentType: string; ContentDisposition?: string; Metadata: Record<string, string> } {
  return {
    ContentType: options.contentType,
    ...(options.contentDisposition === undefined ? {} : { ContentDisposition: options.contentDisposition }),
    Metadata: encodeMetadata(completeMetadata(options), sha256),
  };
}
