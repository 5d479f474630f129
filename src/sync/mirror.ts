import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { ListedObject, ObjectInfo, ObjectStorage } from '../storage/object-storage.js';
import { isStorageError } from '../storage/storage-errors.js';
import type { BandwidthLimiter } from './bandwidth-limiter.js';
import { mergeListings } from './key-merge.js';
import { SyncError } from './sync-errors.js';
import { TaskPool } from '../lib/task-pool.js';

export interface MirrorOptions {
  /** Print the plan, change nothing. */
  dryRun?: boolean;
  /** Remove destination objects absent from the source, after both listings completed. */
  delete?: boolean;
  /** Most deletions allowed; above it nothing is deleted and the run fails. @default 0 */
  maxDelete?: number;
  /** Objects copied at once (rclone's transfers). @default 8 */
  concurrency?: number;
  /** Objects compared at once (rclone's checkers). @default 8 */
  checkers?: number;
  limiter?: BandwidthLimiter;
  /** Only keys starting with one of these (all when empty). */
  include?: readonly string[];
  /** Never keys starting with one of these. */
  exclude?: readonly string[];
  /**
   * With `delete`: which of the destination's extra keys must stay whatever the source holds (a
   * retained or held document's objects: docs/retention.md). They are reported (`keep`), never
   * deleted, and do not count against `maxDelete`.
   */
  keep?: (keys: readonly string[]) => Promise<ReadonlySet<string>>;
}

export type ObjectAction = 'copy' | 'skip' | 'delete' | 'keep';

export interface ObjectEvent {
  key: string;
  action: ObjectAction;
  /** Why it is copied: missing at the destination, or different size or SHA-256. */
  reason?: 'missing' | 'size' | 'sha256' | 'extra' | 'protected';
  bytes: number;
  /** Set when the object failed; `code` is a stable error code. */
  error?: { code: string; message: string };
}

export interface MirrorSummary {
  dryRun: boolean;
  scanned: number;
  copied: number;
  skipped: number;
  deleted: number;
  /** Extra destination objects kept because they are a retained or held document's (`keep`). */
  kept: number;
  failed: number;
  /** Copies refused because the bytes did not hash to the source's SHA-256. */
  mismatched: number;
  bytesCopied: number;
  durationMs: number;
  errors: Array<{ key: string; code: string; message: string }>;
}

/** Keys not under the include prefixes, or under an exclude prefix, are left alone on both sides. */
export function keyFilter(include: readonly string[] = [], exclude: readonly string[] = []): (key: string) => boolean {
  return (key) => (include.length === 0 || include.some((prefix) => key.startsWith(prefix))) && !exclude.some((prefix) => key.startsWith(prefix));
}

/**
 * Makes the destination hold what the source holds. Both listings are streamed and merged in key
 * order; an object is copied when missing at the destination or different by size or stored
 * SHA-256 (never by ETag). Every copy keeps content type, disposition and metadata, and is verified:
 * the bytes are hashed while streaming and the destination refuses to publish them unless they
 * hash to the source's SHA-256. Objects appear whole or not at all, so an interrupted run is
 * finished by running again. Deletions happen only with `delete`, after both listings completed,
 * and never more than `maxDelete`.
 */
export async function mirror(source: ObjectStorage, destination: ObjectStorage, options: MirrorOptions = {}, onEvent: (event: ObjectEvent) => void = () => {}): Promise<MirrorSummary> {
  const started = performance.now();
  const summary: MirrorSummary = { dryRun: options.dryRun === true, scanned: 0, copied: 0, skipped: 0, deleted: 0, kept: 0, failed: 0, mismatched: 0, bytesCopied: 0, durationMs: 0, errors: [] };
  const checkers = new TaskPool(options.checkers ?? 8);
  const transfers = new TaskPool(options.concurrency ?? 8);
  const wanted = keyFilter(options.include, options.exclude);
  let extras: string[] = [];
  const fail = (key: string, error: unknown, bytes: number, action: ObjectAction = 'copy', failureCode?: string) => {
    const code = failureCode ?? (isStorageError(error) ? error.code : 'sync.copy_failed');
    const message = error instanceof Error ? error.message : String(error);
    summary.failed++;
    if (code === 'storage.integrity') summary.mismatched++;
    if (summary.errors.length < 100) summary.errors.push({ key, code, message });
    onEvent({ key, action, bytes, error: { code, message } });
  };
  try {
    for await (const entry of mergeListings(source, destination)) {
      if (!wanted(entry.key)) continue;
      if (entry.source === undefined) {
        extras.push(entry.key);
        continue;
      }
      summary.scanned++;
      const listed = entry.source;
      const present = entry.destination;
      // A checker compares; a difference is handed to a transfer slot, freeing the checker at once.
      await checkers.run(async () => {
        let reason: ObjectEvent['reason'];
        try {
          reason = await differenceOf(source, destination, listed, present);
        } catch (error) {
          fail(listed.key, error, listed.size);
          return;
        }
        if (reason === undefined) {
          summary.skipped++;
          onEvent({ key: listed.key, action: 'skip', bytes: 0 });
          return;
        }
        await transfers.run(async () => {
          try {
            if (options.dryRun !== true) await copyVerified(source, destination, listed.key, options.limiter);
            summary.copied++;
            summary.bytesCopied += listed.size;
            onEvent({ key: listed.key, action: 'copy', reason, bytes: listed.size });
          } catch (error) {
            fail(listed.key, error, listed.size);
          }
        });
      });
    }
  } catch (error) {
    await checkers.drain();
    await transfers.drain();
    throw new SyncError('sync.listing_failed', `Listing failed, nothing was deleted: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  await checkers.drain();
  await transfers.drain();
  if (options.delete === true && extras.length > 0 && options.keep !== undefined) {
    const kept = await options.keep(extras);
    for (const key of extras.filter((extra) => kept.has(extra))) onEvent({ key, action: 'keep', reason: 'protected', bytes: 0 });
    summary.kept = extras.filter((extra) => kept.has(extra)).length;
    extras = extras.filter((extra) => !kept.has(extra));
  }
  if (options.delete === true && extras.length > 0) {
    const maxDelete = options.maxDelete ?? 0;
    if (extras.length > maxDelete) {
      throw new SyncError('sync.max_delete_exceeded', `${extras.length} objects would be deleted, more than --max-delete ${maxDelete}: nothing was deleted`);
    }
    for (const key of extras) onEvent({ key, action: 'delete', reason: 'extra', bytes: 0 });
    if (options.dryRun !== true) {
      const result = await destination.deleteMany(extras);
      summary.deleted = result.deleted.length;
      // The storage's code (a locked object under Object Lock: storage.object_locked) is what the operator acts on.
      for (const failure of result.failed) fail(failure.key, new Error(failure.message), 0, 'delete', failure.code);
    } else {
      summary.deleted = extras.length;
    }
  }
  summary.durationMs = performance.now() - started;
  return summary;
}

/** Why the destination's object differs from the source's, or undefined when it is the same. */
async function differenceOf(source: ObjectStorage, destination: ObjectStorage, listed: ListedObject, present: ListedObject | undefined): Promise<ObjectEvent['reason'] | undefined> {
  if (present === undefined) return 'missing';
  if (present.size !== listed.size) return 'size';
  const [sourceSha, destinationSha] = await Promise.all([
    listed.sha256 ?? source.stat(listed.key).then((info) => info.sha256),
    present.sha256 ?? destination.stat(present.key).then((info) => info.sha256),
  ]);
  return sourceSha !== undefined && sourceSha === destinationSha ? undefined : 'sha256';
}

/**
 * The source version's Object Lock (retain-until date, legal hold), for a destination with Object
 * Lock on; nothing for one without (its copies are unlocked). See docs/retention.md.
 */
function lockCarriedOver(info: ObjectInfo, destination: ObjectStorage): { retainUntil?: Date; legalHold?: boolean } {
  if (!destination.capabilities.objectLock || info.lock === undefined) return {};
  return { ...(info.lock.retainUntil === undefined ? {} : { retainUntil: info.lock.retainUntil }), ...(info.lock.legalHold ? { legalHold: true } : {}) };
}

/**
 * Streams one object across, keeping its description and, where the destination has Object Lock,
 * its lock. The destination refuses the bytes unless
 * they hash to the SHA-256 the source stored (when it stored one); the bytes are also hashed here,
 * so a source without a stored SHA-256 is verified against what the destination computed.
 */
export async function copyVerified(source: ObjectStorage, destination: ObjectStorage, key: string, limiter?: BandwidthLimiter): Promise<string> {
  const { body, info } = await source.get(key);
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  let stream: Readable = body.pipe(hashing);
  body.on('error', (error) => hashing.destroy(error));
  if (limiter !== undefined) {
    const throttled = limiter.throttle();
    hashing.on('error', (error) => throttled.destroy(error));
    stream = hashing.pipe(throttled);
  }
  let result;
  try {
    result = await destination.put(key, stream, {
      contentType: info.contentType,
      ...(info.contentDisposition === undefined ? {} : { contentDisposition: info.contentDisposition }),
      metadata: info.metadata,
      ...(info.sha256 === undefined ? {} : { expectedSha256: info.sha256 }),
      ...lockCarriedOver(info, destination),
    });
  } finally {
    body.destroy();
  }
  const streamed = hash.digest('hex');
  if (result.sha256 !== streamed) throw new Error(`${key}: the destination hashed ${result.sha256}, the stream ${streamed}`);
  return result.sha256;
}
