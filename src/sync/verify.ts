import { createHash } from 'node:crypto';
import type { ObjectStorage } from '../storage/object-storage.js';
import { isStorageError } from '../storage/storage-errors.js';
import { mergeListings } from './key-merge.js';
import { keyFilter, storedSha256 } from './mirror.js';
import { MirrorManifestReader } from './mirror-manifest-reader.js';
import { SyncError } from './sync-errors.js';
import { TaskPool } from '../lib/task-pool.js';

export interface VerifyOptions {
  /** Re-hash the bytes of both sides (every object, or a sample). */
  download?: boolean;
  /** With `download`: the share of objects to re-hash, 0–100. @default 100 */
  samplePercent?: number;
  concurrency?: number;
  include?: readonly string[];
  exclude?: readonly string[];
  /** Randomness for sampling (tests pass a seeded one). @default Math.random */
  random?: () => number;
}

export type Difference =
  | { key: string; kind: 'missing' }
  | { key: string; kind: 'extra' }
  | { key: string; kind: 'different'; by: 'size' | 'sha256' | 'content'; detail: string }
  | { key: string; kind: 'error'; code: string; message: string };

export interface VerifySummary {
  checked: number;
  downloaded: number;
  missing: number;
  extra: number;
  different: number;
  errors: number;
  durationMs: number;
}

/**
 * Like `rclone check`: lists both sides and reports missing, extra and different objects, by size
 * and stored SHA-256; with `download`, re-hashes the bytes on both sides and compares them with each
 * other and with the stored SHA-256 (so an object damaged in place is found). A side's SHA-256 is
 * read as `mirror` reads it: from the listing, else from the destination's manifest while that side
 * lists the ETag and size recorded there, else by a `stat`. The manifest is only read.
 */
export async function verify(source: ObjectStorage, destination: ObjectStorage, options: VerifyOptions = {}, onDifference: (difference: Difference) => void = () => {}): Promise<VerifySummary> {
  const started = performance.now();
  const summary: VerifySummary = { checked: 0, downloaded: 0, missing: 0, extra: 0, different: 0, errors: 0, durationMs: 0 };
  const pool = new TaskPool(options.concurrency ?? 8);
  const wanted = keyFilter(options.include, options.exclude);
  const random = options.random ?? Math.random;
  const sample = (options.samplePercent ?? 100) / 100;
  const report = (difference: Difference) => {
    if (difference.kind === 'missing') summary.missing++;
    else if (difference.kind === 'extra') summary.extra++;
    else if (difference.kind === 'different') summary.different++;
    else summary.errors++;
    onDifference(difference);
  };
  const manifest = await MirrorManifestReader.open(destination);
  try {
    for await (const entry of mergeListings(source, destination)) {
      const recorded = await manifest.lookup(entry.key);
      if (!wanted(entry.key)) continue;
      if (entry.source === undefined) {
        report({ key: entry.key, kind: 'extra' });
        continue;
      }
      if (entry.destination === undefined) {
        report({ key: entry.key, kind: 'missing' });
        continue;
      }
      summary.checked++;
      const { source: listed, destination: present } = entry;
      await pool.run(async () => {
        try {
          if (listed.size !== present.size) {
            report({ key: listed.key, kind: 'different', by: 'size', detail: `${listed.size} ≠ ${present.size} bytes` });
            return;
          }
          const [a, b] = await Promise.all([storedSha256(source, listed, recorded, 'source'), storedSha256(destination, present, recorded, 'destination')]);
          if (a === undefined || a !== b) {
            report({ key: listed.key, kind: 'different', by: 'sha256', detail: `${a ?? 'none'} ≠ ${b ?? 'none'}` });
            return;
          }
          if (options.download !== true || random() >= sample) return;
          summary.downloaded++;
          const [sourceBytes, destinationBytes] = await Promise.all([hashOf(source, listed.key), hashOf(destination, present.key)]);
          if (sourceBytes !== a || destinationBytes !== a) {
            report({ key: listed.key, kind: 'different', by: 'content', detail: `stored ${a}, source bytes ${sourceBytes}, destination bytes ${destinationBytes}` });
          }
        } catch (error) {
          report({ key: listed.key, kind: 'error', code: isStorageError(error) ? error.code : 'sync.verify_failed', message: error instanceof Error ? error.message : String(error) });
        }
      });
    }
  } catch (error) {
    await pool.drain();
    throw new SyncError('sync.listing_failed', `Listing failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    manifest.close();
  }
  await pool.drain();
  summary.durationMs = performance.now() - started;
  return summary;
}

/** The SHA-256 of an object's bytes as read now (not the stored one). */
async function hashOf(storage: ObjectStorage, key: string): Promise<string> {
  const { body } = await storage.get(key);
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
