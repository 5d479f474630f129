import type { ListedObject, ObjectStorage } from '../storage/object-storage.js';
import { isStorageError } from '../storage/storage-errors.js';
import type { BandwidthLimiter } from './bandwidth-limiter.js';
import { mergeListings } from './key-merge.js';
import { MIRROR_MANIFEST_KEY, trustedSha256, type ManifestEntry } from './mirror-manifest.js';
import { MirrorManifestReader, type ManifestReadState } from './mirror-manifest-reader.js';
import { MirrorManifestWriter } from './mirror-manifest-writer.js';
import { SyncError } from './sync-errors.js';
import { copyVerified } from './verified-copy.js';
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
  /**
   * The destination's manifest (docs/migration.md, "The manifest"): how it was read, and whether
   * this run wrote a new one (not in a dry run, nor when nothing changed).
   */
  manifest: ManifestReadState & { written: boolean };
}

/** Keys not under the include prefixes, or under an exclude prefix, are left alone on both sides. */
export function keyFilter(include: readonly string[] = [], exclude: readonly string[] = []): (key: string) => boolean {
  return (key) => (include.length === 0 || include.some((prefix) => key.startsWith(prefix))) && !exclude.some((prefix) => key.startsWith(prefix));
}

/**
 * Makes the destination hold what the source holds. Both listings are streamed and merged in key
 * order; an object is copied when missing at the destination or different by size or SHA-256.
 * A side's SHA-256 comes from its listing (local disk), else from the manifest the previous run
 * left at the destination while that side still lists the ETag and size recorded there, else from
 * a `stat`: a run with nothing to copy reads the listings and one manifest, no object's
 * description. Every copy keeps content type, disposition and metadata, and is verified: the
 * bytes are hashed while streaming and the destination refuses to publish them unless they hash to
 * the source's SHA-256. Objects appear whole or not at all, so an interrupted run is finished by
 * running again. The run then leaves a new manifest (unless nothing changed or it is a dry run).
 * Deletions happen only with `delete`, after both listings completed, and never more than
 * `maxDelete`.
 */
export async function mirror(source: ObjectStorage, destination: ObjectStorage, options: MirrorOptions = {}, onEvent: (event: ObjectEvent) => void = () => {}): Promise<MirrorSummary> {
  const started = performance.now();
  const dryRun = options.dryRun === true;
  const summary: MirrorSummary = {
    dryRun,
    scanned: 0,
    copied: 0,
    skipped: 0,
    deleted: 0,
    kept: 0,
    failed: 0,
    mismatched: 0,
    bytesCopied: 0,
    durationMs: 0,
    errors: [],
    manifest: { state: 'absent', written: false },
  };
  const checkers = new TaskPool(options.checkers ?? 8);
  const transfers = new TaskPool(options.concurrency ?? 8);
  const wanted = keyFilter(options.include, options.exclude);
  let extras: string[] = [];
  const record = (key: string, code: string, message: string) => {
    summary.failed++;
    if (code === 'storage.integrity') summary.mismatched++;
    if (summary.errors.length < 100) summary.errors.push({ key, code, message });
  };
  const fail = (key: string, error: unknown, bytes: number, action: ObjectAction = 'copy', failureCode?: string) => {
    const code = failureCode ?? (isStorageError(error) ? error.code : 'sync.copy_failed');
    const message = error instanceof Error ? error.message : String(error);
    record(key, code, message);
    onEvent({ key, action, bytes, error: { code, message } });
  };
  const manifest = await MirrorManifestReader.open(destination);
  const writer = dryRun ? undefined : await MirrorManifestWriter.create();
  try {
    try {
      for await (const entry of mergeListings(source, destination)) {
        const recorded = await manifest.lookup(entry.key);
        if (!wanted(entry.key)) {
          // Left alone: what the manifest knew of it stays true while the destination lists the same version.
          const present = entry.destination;
          await writer?.add(present !== undefined && recorded !== undefined && recorded.size === present.size && recorded.destinationEtag === present.etag ? recorded : undefined);
          continue;
        }
        if (entry.source === undefined) {
          extras.push(entry.key);
          continue;
        }
        summary.scanned++;
        const listed = entry.source;
        const present = entry.destination;
        const outcome = Promise.withResolvers<ManifestEntry | undefined>();
        await writer?.add(outcome.promise);
        // A checker compares; a difference is handed to a transfer slot, freeing the checker at once.
        await checkers.run(async () => {
          let compared: Comparison;
          try {
            compared = await compare(source, destination, listed, present, recorded);
          } catch (error) {
            fail(listed.key, error, listed.size);
            outcome.resolve(undefined);
            return;
          }
          if (compared.reason === undefined) {
            summary.skipped++;
            onEvent({ key: listed.key, action: 'skip', bytes: 0 });
            outcome.resolve({ key: listed.key, size: listed.size, destinationEtag: (present as ListedObject).etag, sourceEtag: listed.etag, sha256: compared.sha256 });
            return;
          }
          const reason = compared.reason;
          await transfers.run(async () => {
            try {
              const copy = dryRun ? undefined : await copyVerified(source, destination, listed.key, options.limiter);
              summary.copied++;
              summary.bytesCopied += listed.size;
              onEvent({ key: listed.key, action: 'copy', reason, bytes: listed.size });
              outcome.resolve(copy === undefined ? undefined : { key: listed.key, size: copy.size, destinationEtag: copy.etag, sourceEtag: copy.sourceEtag, sha256: copy.sha256 });
            } catch (error) {
              fail(listed.key, error, listed.size);
              outcome.resolve(undefined);
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
    if (writer !== undefined) {
      const digest = await writer.finish();
      if (digest !== (await manifest.digestOfWhole())) {
        try {
          await writer.publish(destination);
          summary.manifest.written = true;
        } catch (error) {
          // The copies stand; the next run describes by `stat` what this manifest would have told.
          record(MIRROR_MANIFEST_KEY, isStorageError(error) ? error.code : 'sync.copy_failed', `the manifest could not be written: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    Object.assign(summary.manifest, manifest.state);
  } finally {
    manifest.close();
    await writer?.dispose();
  }
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
    if (!dryRun) {
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

type Comparison = { reason: NonNullable<ObjectEvent['reason']> } | { reason?: undefined; sha256: string };

/** Whether the destination's object differs from the source's (and why), or their common SHA-256. */
async function compare(source: ObjectStorage, destination: ObjectStorage, listed: ListedObject, present: ListedObject | undefined, recorded: ManifestEntry | undefined): Promise<Comparison> {
  if (present === undefined) return { reason: 'missing' };
  if (present.size !== listed.size) return { reason: 'size' };
  const [sourceSha, destinationSha] = await Promise.all([storedSha256(source, listed, recorded, 'source'), storedSha256(destination, present, recorded, 'destination')]);
  return sourceSha !== undefined && sourceSha === destinationSha ? { sha256: sourceSha } : { reason: 'sha256' };
}

/** One side's SHA-256: from its listing or the manifest when trusted (see `trustedSha256`), else from a `stat`. */
export async function storedSha256(storage: ObjectStorage, listed: ListedObject, recorded: ManifestEntry | undefined, side: 'source' | 'destination'): Promise<string | undefined> {
  return trustedSha256(listed, recorded, side) ?? (await storage.stat(listed.key)).sha256;
}
