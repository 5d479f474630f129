import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import type { ExtractionJobRow } from '../search.table.js';
import { SearchIndex } from '../search-index.js';
import * as jobs from './extraction-job-repository.js';
import { NothingToExtract, type Extraction, type TextExtractor } from './text-extractor.js';

/** What a worker reports of each job it ends (metrics and progress lines). */
export interface JobOutcome {
  documentId: string;
  version: number;
  status: jobs.FinalStatus | 'retry' | 'lease_lost';
  method: string | null;
  pages: number | null;
  seconds: number;
  error?: string;
}

export interface ExtractionWorkerOptions {
  db: Kysely<Database>;
  storage: ObjectStorage;
  extractor: TextExtractor;
  /** This instance's name in leases (host and pid, plus a random part). */
  owner: string;
  /** Document types whose content is never extracted (`DOCSTORE_INDEX_EXCLUDE_TYPES`): their title only is indexed. */
  excludedTypes?: ReadonlySet<string>;
  now?: () => Date;
  /** How long a claim holds; renewed every third of it while the job runs. @default 120000 */
  leaseMs?: number;
  /** Attempts before a job ends `failed`. @default 5 */
  maxAttempts?: number;
  /** The wait before retry n (1-based): 30 s doubled each time, at most an hour. */
  backoffMs?: (attempt: number) => number;
  onJob?: (outcome: JobOutcome) => void;
}

const defaultBackoff = (attempt: number) => Math.min(30_000 * 2 ** (attempt - 1), 3_600_000);

/**
 * Works the extraction queue: claims a due job with a lease, reads the version's object (through
 * the storage's decorators: decrypted, checked) into a private temporary directory, extracts its
 * text, and in one transaction stores the text, rewrites the document's index entry and ends the
 * job, provided its lease still holds. A failure is retried with backoff; the limits end a job
 * `limited` with what was read before them. Several workers (instances) share one queue.
 */
export class ExtractionWorker {
  private readonly now: () => Date;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: (attempt: number) => number;

  constructor(private readonly options: ExtractionWorkerOptions) {
    this.now = options.now ?? (() => new Date());
    this.leaseMs = options.leaseMs ?? 120_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffMs = options.backoffMs ?? defaultBackoff;
  }

  /** Claims and works one due job; undefined when none is due. */
  async runOnce(): Promise<JobOutcome | undefined> {
    const { db, owner } = this.options;
    const job = await jobs.claimJob(db, owner, this.now(), this.leaseMs);
    if (job === undefined) return undefined;
    const started = Date.now();
    const heartbeat = setInterval(() => {
      void jobs.renewLease(db, job, owner, new Date(this.now().getTime() + this.leaseMs)).catch(() => undefined);
    }, Math.max(1000, this.leaseMs / 3));
    heartbeat.unref();
    let outcome: JobOutcome;
    try {
      outcome = await this.work(job, started);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retryAt = job.attempts >= this.maxAttempts ? undefined : new Date(this.now().getTime() + this.backoffMs(job.attempts));
      await jobs.failAttempt(db, job, owner, message, retryAt, this.now());
      outcome = { documentId: job.document_id, version: job.version, status: retryAt === undefined ? 'failed' : 'retry', method: null, pages: null, seconds: (Date.now() - started) / 1000, error: message };
    } finally {
      clearInterval(heartbeat);
    }
    this.options.onJob?.(outcome);
    return outcome;
  }

  /** Works due jobs until none is left (retries not yet due stay); returns how many were ended. */
  async drain(): Promise<number> {
    let count = 0;
    while ((await this.runOnce()) !== undefined) count++;
    return count;
  }

  /**
   * Works the queue in the background: a job after another, a pause of `idleMs` when none is due.
   * `stop` waits for the job in hand (its lease lapses if the process dies instead).
   */
  start(idleMs = 5000, onError: (error: unknown) => void = () => undefined): { stop(): Promise<void> } {
    let stopped = false;
    let wake: (() => void) | undefined;
    const loop = (async () => {
      while (!stopped) {
        const outcome = await this.runOnce().catch((error: unknown) => {
          onError(error);
          return undefined;
        });
        if (outcome === undefined && !stopped) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, idleMs).unref();
          });
        }
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        wake?.();
        await loop;
      },
    };
  }

  private async work(job: ExtractionJobRow, started: number): Promise<JobOutcome> {
    const { db, storage, owner } = this.options;
    const base = { documentId: job.document_id, version: job.version };
    const seconds = () => (Date.now() - started) / 1000;
    const document = await db
      .selectFrom('documents')
      .leftJoin('organization_search_settings as settings', 'settings.organization_id', 'documents.organization_id')
      .select(['documents.type', 'documents.storage_key', 'settings.ocr_languages'])
      .where('documents.id', '=', job.document_id)
      .executeTakeFirst();
    const version = await db.selectFrom('document_versions').select(['storage_key', 'mime_type']).where('document_id', '=', job.document_id).where('version', '=', job.version).executeTakeFirst();
    const end = async (status: jobs.FinalStatus, extraction?: Extraction, error?: string): Promise<JobOutcome> => {
      const finished = await db.transaction().execute(async (trx) => {
        if (extraction !== undefined) {
          const row = { document_id: job.document_id, version: job.version, text: extraction.text, method: extraction.method, extracted_at: this.now().toISOString() };
          await trx.insertInto('document_texts').values(row).onConflict((conflict) => conflict.column('document_id').doUpdateSet(row)).execute();
        }
        if (!(await jobs.finishJob(trx, job, owner, { status, method: extraction?.method ?? null, pages: extraction?.pages ?? null, error: error ?? null }, this.now()))) return false;
        if (status !== 'superseded') await SearchIndex.refresh(trx, job.document_id);
        return true;
      });
      return finished
        ? { ...base, status, method: extraction?.method ?? null, pages: extraction?.pages ?? null, seconds: seconds(), ...(error === undefined ? {} : { error }) }
        : { ...base, status: 'lease_lost', method: null, pages: null, seconds: seconds() };
    };
    // The document purged meanwhile takes its job with it; a newer version makes this one moot.
    if (document === undefined || version === undefined || document.storage_key !== version.storage_key) return end('superseded');
    if (this.options.excludedTypes?.has(document.type) === true) return end('excluded', undefined, `${document.type} documents are excluded from the index (DOCSTORE_INDEX_EXCLUDE_TYPES)`);
    const workDir = await mkdtemp(join(tmpdir(), 'docstore-extract-'));
    try {
      const file = join(workDir, 'content');
      const object = await storage.get(version.storage_key);
      await pipeline(object.body, createWriteStream(file, { mode: 0o600 }));
      let extraction: Extraction;
      try {
        extraction = await this.options.extractor.extract(file, version.mime_type, workDir, ...(document.ocr_languages === null ? [] : [document.ocr_languages]));
      } catch (error) {
        if (error instanceof NothingToExtract) return await end(error.reason, undefined, error.message);
        throw error;
      }
      return await end(extraction.limit === undefined ? 'done' : 'limited', extraction, extraction.limit?.message);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }
}
