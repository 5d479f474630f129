import { AsyncLocalStorage } from 'node:async_hooks';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileConfigstore, FileStore } from '@tus/file-store';
import { ERRORS, Upload } from '@tus/server';
import { writeBatched } from '../../storage/local/local-content-writer.js';
import { RequestCachedKvStore } from './request-cached-kv-store.js';
import { limitedBody, type RequestBody } from './request-body.js';

/**
 * `@tus/file-store` for uploads whose finished file becomes a document's object
 * (`ObjectStorage.adopt` moves it away):
 * - `getUpload` of an upload marked adopted (`markAdopted`) answers it complete until `remove`:
 *   tus reads a creation back after its completion (for `Upload-Expires`), and the original would
 *   answer 410 for the missing file.
 * - `remove` also forgets an upload whose file is gone: the original fails on the missing file and
 *   keeps its `.json` for ever.
 * - `write` writes in batches of 512 KiB, one writev in flight while the next is read
 *   (`writeBatched`); the original's write stream makes one thread-pool write per socket read
 *   (~64 KiB), each pausing the body until it is done. As there, a body cut short keeps what was
 *   read of it (the file's size is the upload's offset) and the write fails.
 * - `write` within `withRequestBody` reads the request's own Node stream (`RequestBody`).
 * - each chunk's pages are flushed to disk in the background once written (not awaited): the
 *   completion's fsync, which makes the file durable before it becomes an object, then finds the
 *   last chunk's pages only, not the whole file's.
 * - an upload's `.json` read once per request (`withRequestCache`, `RequestCachedKvStore`), and
 *   `getUploadMetadata` for admission (the `.json` alone, no `stat` of the file).
 */
export class FinishedUploadFileStore extends FileStore {
  private readonly adopted = new Set<string>();
  private readonly requestBody = new AsyncLocalStorage<RequestBody>();
  private readonly requestCache: RequestCachedKvStore<Upload>;

  constructor(options: { directory: string; expirationPeriodInMilliseconds?: number }) {
    const requestCache = new RequestCachedKvStore<Upload>(new FileConfigstore(options.directory));
    super({ ...options, configstore: requestCache });
    this.requestCache = requestCache;
  }

  /** Runs one request's work (admission and tus's handling) with one read of each upload's `.json`. */
  withRequestCache<R>(work: () => Promise<R>): Promise<R> {
    return this.requestCache.run(work);
  }

  /** Upload `id` as its `.json` says, its offset unread (for admission); tus's FILE_NOT_FOUND when absent. */
  async getUploadMetadata(id: string): Promise<Upload> {
    const file = await this.configstore.get(id);
    if (file === undefined) throw ERRORS.FILE_NOT_FOUND;
    return new Upload(file);
  }

  /** Runs one request's handling by tus, whose `write` reads `body` (see the class). */
  withRequestBody<R>(body: RequestBody, work: () => Promise<R>): Promise<R> {
    return this.requestBody.run(body, work);
  }

  /** Upload `id` is complete and its file became a document's object (this process only). */
  markAdopted(id: string): void {
    this.adopted.add(id);
  }

  override async getUpload(id: string): Promise<Upload> {
    try {
      return await super.getUpload(id);
    } catch (error) {
      const file = this.adopted.has(id) ? await this.configstore.get(id) : undefined;
      if (file === undefined) throw error;
      return new Upload({ ...file, offset: file.size ?? file.offset });
    }
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const body = this.requestBody.getStore();
    // tus's own stream is empty then; it ends once read.
    if (body !== undefined) readable.resume();
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(id), 'r+');
    } catch {
      throw ERRORS.FILE_WRITE_ERROR;
    }
    let written: number;
    try {
      const source = body === undefined ? readable : limitedBody(body);
      written = await writeBatched(handle, source, this.directory, { start: offset, keepReadOnFailure: true });
    } catch (error) {
      await handle.close();
      throw error === ERRORS.ERR_MAX_SIZE_EXCEEDED ? error : ERRORS.FILE_WRITE_ERROR;
    }
    // The chunk's pages go to disk while the client sends the next one (see the class).
    void handle.datasync().catch(() => undefined).finally(() => handle.close().catch(() => undefined));
    return offset + written;
  }

  /** Upload `id`'s file (ids are the URL's 32 hex digits: no separator, nothing outside the directory). */
  private pathOf(id: string): string {
    if (!/^[0-9A-Za-z_-]+$/.test(id)) throw ERRORS.FILE_NOT_FOUND;
    return join(this.directory, id);
  }

  override async remove(id: string): Promise<void> {
    this.adopted.delete(id);
    try {
      await super.remove(id);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.configstore.delete(id);
    }
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'status_code' in error && error.status_code === 404;
}
