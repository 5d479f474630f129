import { AsyncLocalStorage } from 'node:async_hooks';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Part } from '@aws-sdk/client-s3';
import { S3Store, type MetadataValue, type Options } from '@tus/s3-store';
import { ERRORS, type Upload } from '@tus/server';
import { RequestCachedKvStore } from './request-cached-kv-store.js';

/**
 * `@tus/s3-store` confined to its key prefix in a bucket it shares with the documents:
 * - `remove` of a finished upload: the original aborts the multipart upload first and, once that
 *   upload is completed (S3 answers NoSuchUpload), gives up with 404 before deleting anything,
 *   leaving the assembled object and its `.info`; here those are deleted all the same.
 * - `deleteExpired` lists only the multipart uploads under `prefix` (the original lists the whole
 *   bucket and would abort docstore's own uploads of documents, backups or exports past the
 *   expiry), and answers how many uploads it removed (not how many objects).
 * - `write` of nothing at the end of a finished upload answers its length (a retried completion).
 * - metadata cached for one request only (`RequestCachedKvStore` without an inner store, see `withRequestCache`):
 *   instances see each other's completions.
 * - `write` of a body whose length is declared (`withBodyLength`) and that makes a whole part
 *   (at least `minPartSize`, or the upload's last bytes) where no incomplete part is pending: the
 *   body is streamed straight into one `UploadPart` as it arrives. The original spools every part
 *   to a temporary file and uploads it once the part is whole, so the upload waits for the receipt.
 *   A body that ends short (a cut connection) aborts the part: none of its bytes count, the offset
 *   stays where it was, and the client sends the chunk again.
 */
export class FinishedUploadS3Store extends S3Store {
  private readonly requestCache: RequestCachedKvStore<MetadataValue>;
  private readonly bodyLength = new AsyncLocalStorage<number>();
  /** Per request and upload: the parts and the incomplete part's size as last read (see `writeWholePart`). */
  private readonly lastRead = new AsyncLocalStorage<Map<string, { parts?: Part[]; incompleteBytes?: number | undefined }>>();

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

  /** Upload `id` as its `.info` says (one GET, none of its parts): for admission, its offset unread. */
  async getUploadMetadata(id: string): Promise<Upload> {
    try {
      return (await this.getMetadata(id)).file;
    } catch (error) {
      if (isMissingUpload(error)) throw ERRORS.FILE_NOT_FOUND;
      throw error;
    }
  }

  /** Reads the upload afresh (nothing an earlier read of this request left counts, see `writeWholePart`). */
  override async getUpload(id: string): Promise<Upload> {
    this.lastRead.getStore()?.delete(id);
    return super.getUpload(id);
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

  /** Runs one request's handling, its body declared `bytes` long (its `Content-Length`). */
  withBodyLength<R>(bytes: number, work: () => Promise<R>): Promise<R> {
    return this.bodyLength.run(bytes, work);
  }

  /**
   * Writing nothing at the end of a finished upload (its multipart upload already completed, S3
   * answering NoSuchUpload) answers its length: the empty `PATCH` that retries a completion an
   * instance did not finish (see `ResumableUploadCompletions`). The original fails with a 500.
   */
  override async write(source: Readable, id: string, offset: number): Promise<number> {
    try {
      return (await this.writeWholePart(source, id, offset)) ?? (await super.write(source, id, offset));
    } catch (error) {
      if (!isMissingUpload(error)) throw error;
      const upload = await this.getUpload(id);
      if (upload.size !== offset) throw error;
      return offset;
    }
  }

  /**
   * The streamed write (see the class); undefined when the body does not make a whole part here.
   * The parts and the incomplete part are those tus's `getUpload` just read under the upload's lock
   * (a `PATCH` reads the upload there right before writing, after its admission read it unlocked),
   * read again only when this request has not read them.
   */
  private async writeWholePart(source: Readable, id: string, offset: number): Promise<number | undefined> {
    const bytes = this.bodyLength.getStore();
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
    const { ETag } = await this.client.uploadPart({ Bucket: this.bucket, Key: id, UploadId: metadata['upload-id'], PartNumber: partNumber, Body: counted, ContentLength: bytes }, { abortSignal: aborting.signal });
    if (last) {
      await this.finishMultipartUpload(metadata, [...parts, { PartNumber: partNumber, ETag }]);
      await this.completeMetadata(metadata.file);
      await this.clearCache(id);
    }
    return offset + bytes;
  }

  override async remove(id: string): Promise<void> {
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
        await this.cache.delete(key);
        removed += 1;
      }
      if (page.IsTruncated !== true) return removed;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }
}

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
