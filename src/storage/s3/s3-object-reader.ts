import { addAbortSignal, type Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { compareKeys, normalizeKey, normalizePrefix } from '../object-key.js';
import { validateRange } from '../object-options.js';
import type { ByteRange, GetOptions, GetResult, ListEntry, ListOptions, ObjectInfo } from '../object-storage.js';
import { InvalidArgument, InvalidRange, isStorageError } from '../storage-errors.js';
import { objectInfoFrom, parseContentRange, unquoteEtag } from './s3-metadata.js';
import type { S3RequestContext } from './s3-request-context.js';
import { readEncryptionParams } from './s3-server-side-encryption.js';

/**
 * The read paths of the S3 adapter, `get`, `stat`, `exists` and `list` (see `S3ObjectStorage`).
 * Listings hide the temporary prefix and are sorted by `compareKeys` page by page.
 */
export class S3ObjectReader {
  constructor(private readonly context: S3RequestContext) {}

  /** `ObjectStorage.get` (see `S3ObjectStorage`). */
  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const normalized = normalizeKey(key);
    if (options.range !== undefined) validateRange(options.range);
    const output = await this.context.send<GetObjectCommandOutput>(
      'get',
      normalized,
      new GetObjectCommand({
        Bucket: this.context.bucket,
        Key: this.context.objectKey(normalized),
        ...readEncryptionParams(this.context.sse),
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

  /** `ObjectStorage.stat` (see `S3ObjectStorage`). */
  async stat(key: string): Promise<ObjectInfo> {
    const normalized = normalizeKey(key);
    const output = await this.context.send<HeadObjectCommandOutput>(
      'stat',
      normalized,
      new HeadObjectCommand({ Bucket: this.context.bucket, Key: this.context.objectKey(normalized), ...readEncryptionParams(this.context.sse) }),
    );
    return objectInfoFrom(normalized, output.ContentLength ?? 0, output);
  }

  /** `ObjectStorage.exists` (see `S3ObjectStorage`). */
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

  /** `ObjectStorage.list` (see `S3ObjectStorage`). */
  async *list(options: ListOptions = {}): AsyncIterable<ListEntry> {
    const prefix = normalizePrefix(options.prefix);
    const recursive = options.recursive ?? true;
    const pageSize = options.pageSize ?? 1000;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      throw InvalidArgument.because('pageSize', 'must be a whole number from 1 to 1000');
    }
    const startAfter = options.startAfter === undefined ? undefined : this.context.objectKey(options.startAfter.normalize('NFC'));
    const temporary = this.context.temporaryPrefix;
    const request = (continuationToken: string | undefined) =>
      this.context.send<ListObjectsV2CommandOutput>(
        'list',
        prefix,
        new ListObjectsV2Command({
          Bucket: this.context.bucket,
          Prefix: this.context.keyPrefix + prefix,
          MaxKeys: pageSize,
          ...(recursive ? {} : { Delimiter: '/' }),
          ...(startAfter === undefined || continuationToken !== undefined ? {} : { StartAfter: startAfter }),
          ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
        }),
      );
    let pending = request(undefined);
    let continuationToken: string | undefined;
    do {
      const page = await pending;
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      if (continuationToken !== undefined) {
        // The next page is on its way while this one is consumed (two pages in memory at most);
        // awaited in turn, and of no consequence when the caller stops early.
        pending = request(continuationToken);
        pending.catch(() => undefined);
      }
      const entries: ListEntry[] = [];
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || object.Key.startsWith(temporary)) continue;
        entries.push({
          kind: 'object',
          key: this.context.fromObjectKey(object.Key),
          size: object.Size ?? 0,
          lastModified: object.LastModified ?? new Date(0),
          etag: unquoteEtag(object.ETag),
        });
      }
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix === undefined || common.Prefix.startsWith(temporary)) continue;
        const entry: ListEntry = { kind: 'prefix', prefix: this.context.fromObjectKey(common.Prefix) };
        // Servers differ on whether StartAfter excludes a prefix that sorts before it.
        if (startAfter !== undefined && compareKeys(common.Prefix, startAfter) <= 0) continue;
        entries.push(entry);
      }
      entries.sort((a, b) => compareKeys(entryKey(a), entryKey(b)));
      yield* entries;
    } while (continuationToken !== undefined);
  }
}

function rangeHeader(range: ByteRange): string {
  return 'suffix' in range ? `bytes=-${range.suffix}` : `bytes=${range.start}-${range.end ?? ''}`;
}

function entryKey(entry: ListEntry): string {
  return entry.kind === 'object' ? entry.key : entry.prefix;
}
