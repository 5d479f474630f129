import type { Readable } from 'node:stream';
import { S3Store, type MetadataValue, type Options } from '@tus/s3-store';
import { RequestScopedKvStore } from './request-scoped-kv-store.js';

/**
 * `@tus/s3-store` confined to its key prefix in a bucket it shares with the documents:
 * - `remove` of a finished upload: the original aborts the multipart upload first and, once that
 *   upload is completed (S3 answers NoSuchUpload), gives up with 404 before deleting anything,
 *   leaving the assembled object and its `.info`; here those are deleted all the same.
 * - `deleteExpired` lists only the multipart uploads under `prefix` (the original lists the whole
 *   bucket and would abort docstore's own uploads of documents, backups or exports past the
 *   expiry), and answers how many uploads it removed (not how many objects).
 * - `write` of nothing at the end of a finished upload answers its length (a retried completion).
 * - metadata cached for one request only (`RequestScopedKvStore`, see `withRequestCache`):
 *   instances see each other's completions.
 */
export class FinishedUploadS3Store extends S3Store {
  private readonly requestCache: RequestScopedKvStore<MetadataValue>;

  constructor(
    options: Options,
    private readonly prefix: string,
  ) {
    const requestCache = new RequestScopedKvStore<MetadataValue>();
    super({ cache: requestCache, ...options });
    this.requestCache = requestCache;
  }

  /** Runs one request's work (admission and tus's handling) with one read of each upload's `.info`. */
  withRequestCache<R>(work: () => Promise<R>): Promise<R> {
    return this.requestCache.run(work);
  }

  /**
   * Writing nothing at the end of a finished upload (its multipart upload already completed, S3
   * answering NoSuchUpload) answers its length: the empty `PATCH` that retries a completion an
   * instance did not finish (see `ResumableUploadCompletions`). The original fails with a 500.
   */
  override async write(source: Readable, id: string, offset: number): Promise<number> {
    try {
      return await super.write(source, id, offset);
    } catch (error) {
      if (!isMissingUpload(error)) throw error;
      const upload = await this.getUpload(id);
      if (upload.size !== offset) throw error;
      return offset;
    }
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

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'status_code' in error && error.status_code === 404;
}

function isMissingUpload(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'name' in error && (error.name === 'NoSuchUpload' || error.name === 'NoSuchKey');
}
