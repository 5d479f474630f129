import { AsyncLocalStorage } from 'node:async_hooks';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { Part } from '@aws-sdk/client-s3';
import { S3Store, type MetadataValue, type Options } from '@tus/s3-store';
import { ERRORS, Upload } from '@tus/server';
import { BoundedMap } from '../../lib/bounded-map.js';
import type { DeclaredWrite } from '../resumable-uploads.js';
import { RequestCachedKvStore } from './request-cached-kv-store.js';
import { limitedBody, type RequestBody } from './request-body.js';

/**
 * `@tus/s3-store` confined to its key prefix in a bucket it shares with the documents:
 * - `remove` of a finished upload: the original aborts the multipart upload first and, once that
 *   upload is completed (S3 answers NoSuchUpload), gives up with 404 before deleting anything,
 *   leaving the assembled object and its `.info`; here those are deleted all the same.
 * - `deleteExpired` lists only the multipart uploads under `prefix` (the original lists the whole
 *   bucket and would abort docstore's own uploads of documents, backups or exports past the
 *   expiry), and answers how many uploads it removed (not how many objects).
 * - `write` of nothing at the end of a finished upload answers its length (a retried completion).
 * - a completed upload's `.info` is not rewritten with a completion tag (`completeMetadata`): it is
 *   deleted as soon as the completion's answer is decided, and a PUT for nothing would delay that
 *   answer; `remove` of an upload whose object became a document's (`markAdopted`) deletes its
 *   objects without aborting a multipart upload S3 has already completed.
 * - metadata cached for one request only (`RequestCachedKvStore` without an inner store, see `withRequestCache`):
 *   instances see each other's completions.
 * - `write` within `withRequestBody` reads the request's own Node stream (`RequestBody`).
 * - `write` of a body whose length is declared (`withRequestBody`, `withDeclaredWrite`) and that makes a whole part
 *   (at least `minPartSize`, or the upload's last bytes) where no incomplete part is pending: the
 *   body is streamed straight into one `UploadPart` as it arrives. The original spools every part
 *   to a temporary file and uploads it once the part is whole, so the upload waits for the receipt.
 *   A body that ends short (a cut connection) aborts the part: none of its bytes count, the offset
 *   stays where it was, and the client sends the chunk again.
 * - the parts this process wrote (or last read) of each upload are kept (`progress`), with its
 *   `.info`: a `PATCH` whose `Upload-Offset` is where they end is admitted and writes its part
 *   without reading the `.info`, listing the parts or looking for an incomplete one (three S3
 *   round trips of four per `PATCH`; see `getUploadMetadata` for an upload gone meanwhile).
 *   Any other offset, a write this store does not track (an incomplete part), a failed part or
 *   another process's restart reads them from S3 again, as `HEAD` always does. A stale entry (the
 *   upload moved on through another instance, and its client sends an offset it has already
 *   passed) rewrites that offset's part with the bytes the client sends for it: the completion
 *   names each part with the ETag this process saw, so S3 assembles exactly those bytes or refuses
 *   (`InvalidPart`), and the SHA-256 hashed while receiving covers exactly those bytes (or none,
 *   and the finished upload is read again).
 */
export class FinishedUploadS3Store extends S3Store {
  private readonly requestCache: RequestCachedKvStore<MetadataValue>;
  private readonly declared = new AsyncLocalStorage<DeclaredWrite>();
  private readonly requestBody = new AsyncLocalStorage<RequestBody>();
  /** Uploads whose object became a document's, until `remove` (see the class). */
  private readonly adopted = new Set<string>();
  /** Per request and upload: the parts and the incomplete part's size as last read (see `writeWholePart`). */
  private readonly lastRead = new AsyncLocalStorage<Map<string, { parts?: Part[]; incompleteBytes?: number | undefined }>>();
  /** Per upload: its parts as this process last wrote or read them, none incomplete (see the class). */
  private readonly progress = new BoundedMap<string, Progress>(PROGRESS_CAPACITY);

  constructor(
    options: Options,
    private readonly prefix: string,
  ) {
    const requestCache = new RequestCachedKvStore<MetadataValue>();
    super({ cache: requestCache, ...options });
    this.requestCache = requestCache;
  }

  /** Runs one request's work (admission and tus's handling) with one read of each upload's `.info`. */
  withRequestCache<R>(work: () => Promise<R>): Promise<R> {
    return this.requestCache.run(() => this.lastRead.run(new Map(), work));
  }

  /**
   * Upload `id` as its `.info` says (one GET, none of its parts): for admission, its offset unread.
   * A `PATCH` that claims the offset where the parts this process knows end (see the class) is
   * admitted on the `.info` read with them (its content never changes), which this request then
   * uses: if the upload is gone meanwhile (completed, terminated or expired through another
   * instance), its `UploadPart` fails and `write` reads the `.info` again.
   */
  async getUploadMetadata(id: string, claimedOffset?: number): Promise<Upload> {
    const known = this.progress.get(id);
    if (known !== undefined && claimedOffset === known.offset) {
      await this.requestCache.set(id, known.metadata);
      return known.metadata.file;
    }
    try {
      return (await this.getMetadata(id)).file;
    } catch (error) {
      if (isMissingUpload(error)) throw ERRORS.FILE_NOT_FOUND;
      throw error;
    }
  }

  /**
   * The upload with its offset: where the parts this process knows end, when the request claims
   * that offset (see the class); otherwise read afresh (nothing an earlier read of this request
   * left counts, see `writeWholePart`), and what was read becomes the known progress.
   */
  override async getUpload(id: string): Promise<Upload> {
    this.lastRead.getStore()?.delete(id);
    const known = this.progress.get(id);
    const claimed = this.declared.getStore()?.offset;
    if (known !== undefined && claimed === known.offset) {
      Object.assign(this.lastReadOf(id), { parts: known.parts, incompleteBytes: undefined });
      const { file } = known.metadata;
      return new Upload({ ...file, offset: known.offset, size: file.size, storage: file.storage });
    }
    this.progress.delete(id);
    const upload = await super.getUpload(id);
    // Parts listed and none incomplete (a completed upload lists none): they are the progress.
    const read = this.lastRead.getStore()?.get(id);
    if (read?.parts === undefined || !('incompleteBytes' in read) || read.incompleteBytes !== undefined) return upload;
    const metadata = await this.getMetadata(id);
    if (metadata['upload-id'] !== undefined) this.progress.set(id, { metadata, parts: read.parts, offset: upload.offset });
    return upload;
  }

  protected override async retrieveParts(id: string, partNumberMarker?: string): Promise<Part[]> {
    const parts = await super.retrieveParts(id, partNumberMarker);
    if (partNumberMarker === undefined) this.lastReadOf(id).parts = parts;
    return parts;
  }

  protected override async getIncompletePartSize(id: string): Promise<number | undefined> {
    const bytes = await super.getIncompletePartSize(id);
    this.lastReadOf(id).incompleteBytes = bytes;
    return bytes;
  }

  private lastReadOf(id: string): { parts?: Part[]; incompleteBytes?: number | undefined } {
    const reads = this.lastRead.getStore();
    if (reads === undefined) return {};
    const read = reads.get(id) ?? {};
    reads.set(id, read);
    return read;
  }

  /** Runs one request's handling by tus, whose `write` reads `body` (see the class). */
  withRequestBody<R>(body: RequestBody, work: () => Promise<R>): Promise<R> {
    return this.requestBody.run(body, () => this.declared.run({ bytes: body.bytes, offset: body.offset }, work));
  }

  /** Runs one request's handling, told what it declares it writes (its `Content-Length`, its `Upload-Offset`). */
  withDeclaredWrite<R>(declared: DeclaredWrite, work: () => Promise<R>): Promise<R> {
    return this.declared.run(declared, work);
  }

  /**
   * Writing nothing at the end of a finished upload (its multipart upload already completed, S3
   * answering NoSuchUpload) answers its length: the empty `PATCH` that retries a completion an
   * instance did not finish (see `ResumableUploadCompletions`). The original fails with a 500.
   * Writing bytes there, admitted on the progress this process knew (see `getUploadMetadata`),
   * answers what tus would have: 409 (completed meanwhile) or 404 (gone).
   */
  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const body = this.requestBody.getStore();
    // tus's own stream is empty then; it ends once read.
    if (body !== undefined) readable.resume();
    const source = body === undefined ? readable : Readable.from(limitedBody(body), { objectMode: false });
    try {
      const written = await this.writeWholePart(source, id, offset);
      if (written !== undefined) return written;
      // A write this store does not track (it may leave an incomplete part): the next reads S3.
      this.progress.delete(id);
      return await super.write(source, id, offset);
    } catch (error) {
      this.progress.delete(id);
      return this.afterFailedWrite(error, id, offset);
    }
  }

  /**
   * A failed write's outcome, from the upload as it is now (its `.info` read again, not as this
   * request first read it): gone, tus's 404; complete (S3 answers NoSuchUpload, or closes the
   * connection on the part's body, EPIPE), its length for a write of nothing at its end, else
   * tus's 409; still in progress, the failure itself (a body cut short).
   */
  private async afterFailedWrite(error: unknown, id: string, offset: number): Promise<number> {
    await this.requestCache.delete(id);
    let upload: Upload;
    try {
      upload = await this.getUpload(id);
    } catch (readError) {
      throw readError === ERRORS.FILE_NOT_FOUND ? readError : error;
    }
    const complete = upload.size !== undefined && upload.offset === upload.size;
    if (!complete) throw error;
    if (offset === upload.size) return offset;
    throw ERRORS.INVALID_OFFSET;
  }

  /**
   * The streamed write (see the class); undefined when the body does not make a whole part here.
   * The parts and the incomplete part are those tus's `getUpload` just read under the upload's lock
   * (a `PATCH` reads the upload there right before writing, after its admission read it unlocked),
   * read again only when this request has not read them.
   */
  private async writeWholePart(source: Readable, id: string, offset: number): Promise<number | undefined> {
    const bytes = this.declared.getStore()?.bytes;
    if (bytes === undefined || bytes === 0 || bytes > MAX_PART_BYTES) return undefined;
    const metadata = await this.getMetadata(id);
    const size = metadata.file.size;
    const last = size !== undefined && offset + bytes === size;
    if (bytes < this.minPartSize && !last) return undefined;
    const read = this.lastReadOf(id);
    const parts = read.parts ?? (await this.retrieveParts(id));
    const incompleteBytes = 'incompleteBytes' in read ? read.incompleteBytes : await this.getIncompletePartSize(id);
    this.lastRead.getStore()?.delete(id);
    const stored = parts.reduce((sum, part) => sum + (part.Size ?? 0), 0);
    const partNumber = (parts.at(-1)?.PartNumber ?? 0) + 1;
    if (stored !== offset || partNumber > this.maxMultipartParts || incompleteBytes !== undefined) return undefined;
    const aborting = new AbortController();
    const counted = source.pipe(new ExactLength(bytes));
    // A body that fails or ends short aborts the part (the SDK does not watch its body's errors).
    counted.on('error', () => aborting.abort());
    source.once('error', (error: Error) => counted.destroy(error));
    const uploadId = metadata['upload-id'];
    this.progress.delete(id);
    const { ETag } = await this.client.uploadPart({ Bucket: this.bucket, Key: id, UploadId: uploadId, PartNumber: partNumber, Body: counted, ContentLength: bytes }, { abortSignal: aborting.signal });
    const written = [...parts, { PartNumber: partNumber, ETag, Size: bytes }];
    if (last) {
      await this.finishMultipartUpload(metadata, written);
      await this.clearCache(id);
    } else if (uploadId !== undefined) {
      this.progress.set(id, { metadata, parts: written, offset: offset + bytes });
    }
    return offset + bytes;
  }

  /** Upload `id` is complete and its object became a document's (this process only). */
  markAdopted(id: string): void {
    this.adopted.add(id);
  }

  protected override async completeMetadata(_upload: Upload): Promise<void> {
    // See the class: the `.info` goes with the completion's answer.
  }

  override async clearCache(id: string): Promise<void> {
    this.progress.delete(id);
    await super.clearCache(id);
  }

  override async remove(id: string): Promise<void> {
    this.progress.delete(id);
    if (this.adopted.delete(id)) {
      await this.client.deleteObjects({ Bucket: this.bucket, Delete: { Objects: [{ Key: id }, { Key: this.infoKey(id) }, { Key: this.partKey(id, true) }] } });
      await this.cache.delete(id);
      return;
    }
    try {
      await super.remove(id);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.client.deleteObjects({ Bucket: this.bucket, Delete: { Objects: [{ Key: id }, { Key: this.infoKey(id) }, { Key: this.partKey(id, true) }] } });
      await this.cache.delete(id);
    }
  }

  override async deleteExpired(): Promise<number> {
    if (this.getExpiration() === 0) return 0;
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.listMultipartUploads({ Bucket: this.bucket, Prefix: this.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker });
      const now = Date.now();
      const expired = (page.Uploads ?? []).filter((upload) => upload.Key !== undefined && upload.Initiated !== undefined && now > upload.Initiated.getTime() + this.getExpiration());
      for (const upload of expired) {
        const key = upload.Key as string;
        await this.client.abortMultipartUpload({ Bucket: this.bucket, Key: key, UploadId: upload.UploadId });
        await this.client.deleteObjects({ Bucket: this.bucket, Delete: { Objects: [{ Key: this.infoKey(key) }, { Key: this.partKey(key, true) }] } });
        await this.clearCache(key);
        removed += 1;
      }
      if (page.IsTruncated !== true) return removed;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }
}

/** Where one upload's parts stand, as this process last wrote or read them. */
interface Progress {
  /** The upload's `.info` (its `upload-id`: the multipart upload they belong to). */
  metadata: UploadMetadata;
  parts: Part[];
  offset: number;
}

/** How many uploads' progress one process keeps at most (the oldest go first; a forgotten one is read from S3). */
const PROGRESS_CAPACITY = 1024;

/** An upload's `.info` as `S3Store` reads it. */
type UploadMetadata = Awaited<ReturnType<S3Store['getMetadata']>>;

/** S3's largest part. */
const MAX_PART_BYTES = 5 * 1024 ** 3;

/** Passes exactly `bytes` bytes on; fewer or more fail the stream. */
class ExactLength extends Transform {
  private received = 0;

  constructor(private readonly bytes: number) {
    super();
  }

  override _transform(piece: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.received += piece.length;
    if (this.received > this.bytes) return this.fail(done);
    done(null, piece);
  }

  override _flush(done: TransformCallback): void {
    if (this.received !== this.bytes) return this.fail(done);
    done();
  }

  private fail(done: TransformCallback): void {
    done(new Error(`the body carried ${this.received} bytes where ${this.bytes} were declared`));
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'status_code' in error && error.status_code === 404;
}

function isMissingUpload(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'name' in error && (error.name === 'NoSuchUpload' || error.name === 'NoSuchKey');
}
