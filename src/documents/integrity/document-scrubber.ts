import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import { hasStorageCode } from '../../storage/storage-errors.js';
import type { BandwidthLimiter } from '../../sync/bandwidth-limiter.js';
import type { ContentIntegrity } from './content-integrity.js';
import { countVersions, versionsAfter, versionsOf, type StoredVersion } from './integrity-repository.js';
import { acquireLease, completePass, ensureScrubRow, readScrubState, releaseLease, restartPass, saveCursor } from './scrub-repository.js';

/** How long a scrub's lease lasts past each object it starts; another instance takes over after that. */
export const SCRUB_LEASE_MS = 15 * 60_000;
const PAGE = 200;

export type ScrubResult = 'ok' | 'damaged' | 'missing';

/** One object read by the scrub. */
export interface ScrubEvent {
  documentId: string;
  version: number;
  storageKey: string;
  result: ScrubResult;
  /** Bytes read (of the content, decrypted). */
  bytes: number;
}

export interface ScrubOptions {
  /** Read at most this many objects in this run (the scheduled scrub's share). @default to the end of the pass */
  maxObjects?: number;
  /** Throttles the reads (`--bandwidth`), shared by the whole run. */
  limiter?: BandwidthLimiter;
  /** Start the pass again from the first version (`--restart`). */
  restart?: boolean;
  /** Told of each object read (progress, metrics). */
  onObject?: (event: ScrubEvent) => void;
}

export interface ScrubReport {
  /** `busy`: another run holds the lease (nothing read); `lease_lost`: the lease lapsed and another run took over. */
  status: 'done' | 'busy' | 'lease_lost';
  /** Objects and bytes read by this run. */
  objects: number;
  bytes: number;
  damaged: ScrubEvent[];
  missing: ScrubEvent[];
  /** Whether this run read the last version of the pass (the next run starts a new pass). */
  passCompleted: boolean;
  /** Versions in the archive when the run began. */
  totalVersions: number;
}

/**
 * Re-reads every version's object and compares it with the database's SHA-256, in (document,
 * version) order, from where the last run stopped (a cursor in `scrub_state`). One run at a time
 * across instances and the CLI: a lease row, renewed before each object. A damaged or missing
 * object marks its document `broken` (`ContentIntegrity.recordDamage`). Streams each object
 * through a hash: memory does not grow with object sizes or their number (the report keeps only
 * what was found damaged).
 */
export class DocumentScrubber {
  private readonly now: () => Date;

  constructor(
    private readonly deps: { db: Kysely<Database>; storage: ObjectStorage; integrity: ContentIntegrity; now?: () => Date },
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  async run(options: ScrubOptions = {}): Promise<ScrubReport> {
    const { db } = this.deps;
    const owner = randomUUID();
    const report: ScrubReport = { status: 'done', objects: 0, bytes: 0, damaged: [], missing: [], passCompleted: false, totalVersions: await countVersions(db) };
    await ensureScrubRow(db);
    if (!(await this.renew(owner))) return { ...report, status: 'busy' };
    try {
      if (options.restart === true) await restartPass(db, owner);
      const state = await readScrubState(db);
      const passStartedAt = state.passStartedAt ?? this.now();
      let cursor = state.cursor;
      const budget = Math.max(1, options.maxObjects ?? Number.POSITIVE_INFINITY);
      for (;;) {
        const page = await versionsAfter(db, cursor, Math.min(PAGE, budget - report.objects));
        if (page.length === 0) {
          await completePass(db, owner, this.now());
          report.passCompleted = true;
          return report;
        }
        for (const version of page) {
          if (!(await this.renew(owner))) return { ...report, status: 'lease_lost' };
          this.count(report, await this.check(version, options), options);
          cursor = { documentId: version.documentId, version: version.version };
          await saveCursor(db, owner, cursor, passStartedAt);
        }
        if (report.objects >= budget) return report;
      }
    } finally {
      await releaseLease(db, owner);
    }
  }

  /**
   * Reads every version of one document (no cursor, no lease): what `docstore scrub --document`
   * does after a restore. A document whose versions all read whole becomes `active` again.
   */
  async scrubDocument(documentId: string, options: Pick<ScrubOptions, 'limiter' | 'onObject'> = {}): Promise<ScrubReport> {
    const versions = await versionsOf(this.deps.db, documentId);
    const report: ScrubReport = { status: 'done', objects: 0, bytes: 0, damaged: [], missing: [], passCompleted: false, totalVersions: versions.length };
    for (const version of versions) this.count(report, await this.check(version, options), options);
    const whole = report.damaged.length + report.missing.length === 0;
    if (whole && versions.some((version) => version.status === 'broken')) await this.deps.integrity.recordWhole(documentId);
    return report;
  }

  private renew(owner: string): Promise<boolean> {
    const now = this.now();
    return acquireLease(this.deps.db, owner, now, new Date(now.getTime() + SCRUB_LEASE_MS));
  }

  private count(report: ScrubReport, event: ScrubEvent, options: ScrubOptions): void {
    report.objects++;
    report.bytes += event.bytes;
    if (event.result === 'damaged') report.damaged.push(event);
    if (event.result === 'missing') report.missing.push(event);
    options.onObject?.(event);
  }

  /** Reads one version's object to its end; records a damage. Failures other than damage (an unreachable storage) throw. */
  private async check(version: StoredVersion, options: ScrubOptions): Promise<ScrubEvent> {
    const event = { documentId: version.documentId, version: version.version, storageKey: version.storageKey };
    const read = await readSha256(this.deps.storage, version.storageKey, options.limiter);
    if (read.result === 'ok' && read.sha256 === version.sha256) return { ...event, result: 'ok', bytes: read.bytes };
    const reason = read.result === 'missing' ? 'missing' : 'mismatch';
    await this.deps.integrity.recordDamage(version, reason, 'scrub', read.sha256);
    return { ...event, result: reason === 'missing' ? 'missing' : 'damaged', bytes: read.bytes };
  }
}

/** Hashes an object's content as it streams; `missing` when there is none, `damaged` when the storage refuses it as such. */
async function readSha256(storage: ObjectStorage, key: string, limiter?: BandwidthLimiter): Promise<{ result: 'ok' | 'missing' | 'damaged'; bytes: number; sha256?: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback();
    },
  });
  try {
    const { body } = await storage.get(key);
    if (limiter === undefined) await pipeline(body, sink);
    else await pipeline(body, limiter.throttle(), sink);
  } catch (error) {
    if (hasStorageCode(error, 'storage.not_found')) return { result: 'missing', bytes };
    if (hasStorageCode(error, 'storage.integrity')) return { result: 'damaged', bytes };
    throw error;
  }
  return { result: 'ok', bytes, sha256: hash.digest('hex') };
}
