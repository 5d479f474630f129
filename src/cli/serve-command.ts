import type { DocstoreConfig } from '../config.js';
import { DocumentScrubber } from '../documents/integrity/document-scrubber.js';
import { countVersions } from '../documents/integrity/integrity-repository.js';
import { objectsPerRun, type ScrubSchedule } from '../documents/integrity/scrub-schedule.js';
import type { DocstoreMetrics } from '../metrics/docstore-metrics.js';
import { BandwidthLimiter } from '../sync/bandwidth-limiter.js';
import type { DocstoreService } from '../service.js';
import { DEFAULT_ORGANIZATION } from './console-commands.js';
import { EXIT } from './exit-codes.js';
import { enqueueMissing } from '../search/extraction/extraction-job-repository.js';
import * as eventsQueue from '../events/delivery-repository.js';
import { displayedEndpoint } from '../events/webhook-settings.js';
import { EXPORT_LEASE_MS } from '../handover/export-jobs.js';

/** How often `serve` checks the storage (the `docstore_storage_up` gauge and the logs follow it). */
export const STORAGE_CHECK_EVERY_MS = 30_000;
/** How often `serve` purges documents in the trash for longer than `DOCSTORE_TRASH_DAYS`. */
export const TRASH_PURGE_EVERY_MS = 3_600_000;

/** Where the periodic tasks report (the HTTP app's pino logger). */
export interface TaskLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Starts `serve`'s periodic work on the core: a storage check every 30 s, the trash purge every
 * hour, and, at once then every export lease, export jobs whose instance stopped marked failed
 * and ready exports past `DOCSTORE_EXPORT_EXPIRY_HOURS` removed (docs/handover.md). The timers do not keep the process alive; `stop` clears them.
 */
export function startPeriodicTasks(core: Pick<DocstoreService, 'config' | 'storage' | 'documents' | 'handover'>, log: TaskLog): { stop(): void } {
  const failAbandonedExports = () => {
    core.handover.jobs.failAbandoned().then(
      (jobs) => jobs.length > 0 && log.info({ exports: jobs.map((job) => job.id) }, 'marked export jobs failed: their instance stopped'),
      (error: unknown) => log.error({ err: error }, 'abandoned export check failed'),
    );
    core.handover.jobs.removeExpired(core.config.exportExpiryHours).then(
      (count) => count > 0 && log.info({ removed: count }, 'removed expired export archives'),
      (error: unknown) => log.error({ err: error }, 'export expiry failed'),
    );
  };
  failAbandonedExports();
  const exportsCheck = setInterval(failAbandonedExports, EXPORT_LEASE_MS);
  exportsCheck.unref();
  const check = setInterval(() => {
    core.storage.check().catch((error: unknown) => log.error({ err: error }, 'storage check failed'));
  }, STORAGE_CHECK_EVERY_MS);
  check.unref();
  const purge = setInterval(() => {
    core.documents.purge().then(
      (count) => count > 0 && log.info({ purged: count }, 'purged documents from the trash'),
      (error: unknown) => log.error({ err: error }, 'trash purge failed'),
    );
  }, TRASH_PURGE_EVERY_MS);
  purge.unref();
  return {
    stop: () => {
      clearInterval(exportsCheck);
      clearInterval(purge);
      clearInterval(check);
    },
  };
}

/**
 * Starts the scheduled scrub (`DOCSTORE_SCRUB_INTERVAL_HOURS`): every interval, one run reads its
 * share of the versions (`objectsPerRun`) from where the last run stopped, at the configured
 * bandwidth. Instances share one cursor and one lease in the database: while one scrubs, another's
 * run finds the lease taken and skips. A run still going when the next is due is not doubled. The
 * timer does not keep the process alive; `stop` clears it (a run in progress finishes its object
 * and is abandoned with its lease, which lapses).
 */
export function startScheduledScrub(core: Pick<DocstoreService, 'db' | 'storage' | 'integrity'>, schedule: ScrubSchedule, metrics: DocstoreMetrics, log: TaskLog): { stop(): void } {
  const scrubber = new DocumentScrubber({ db: core.db, storage: core.storage, integrity: core.integrity });
  const limiter = new BandwidthLimiter(schedule.bandwidthBytesPerSecond);
  let running = false;
  const runOnce = async () => {
    const maxObjects = objectsPerRun(await countVersions(core.db), schedule);
    const report = await scrubber.run({
      maxObjects,
      limiter,
      onObject: (event) => {
        metrics.scrubObjects.inc({ result: event.result });
        metrics.scrubBytes.inc(event.bytes);
      },
    });
    if (report.status === 'busy') log.info({}, 'scheduled scrub skipped: another instance is scrubbing');
    else log.info({ objects: report.objects, bytes: report.bytes, damaged: report.damaged.length, missing: report.missing.length, passCompleted: report.passCompleted }, 'scheduled scrub done');
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    runOnce()
      .catch((error: unknown) => log.error({ err: error }, 'scheduled scrub failed'))
      .finally(() => {
        running = false;
      });
  }, schedule.intervalHours * 3_600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Starts this instance's extraction worker (search, issue 21) when the index is on: it first
 * queues the current versions that have no job (documents of before the index, a restored
 * database), then works the shared queue in the background. Says in the log whether OCR is on;
 * counts jobs, pages and durations, and the queue by status (from the database, at most once a minute).
 */
export function startExtraction(core: Pick<DocstoreService, 'db' | 'config' | 'search'>, metrics: DocstoreMetrics, log: TaskLog): { stop(): Promise<void> } | undefined {
  const { search } = core;
  if (!core.config.search.enabled) {
    metrics.ocrEnabled.set(0);
    log.info({}, 'search index off (DOCSTORE_INDEX=off): no text is extracted');
    return undefined;
  }
  // The tools are looked for beside the start-up (two short processes), not before it.
  search.tools().then(
    (tools) => {
      metrics.ocrEnabled.set(tools.ocr ? 1 : 0);
      if (tools.ocr) log.info({ languages: core.config.search.ocrLanguages }, 'search index on, OCR on');
      else {
        log.info(
          { ocrLanguages: core.config.search.ocrLanguages, tesseractLanguages: tools.languages, pdfText: tools.pdf },
          'search index on, OCR is off: tesseract with the configured languages is not installed (scripts/services/ocr.sh install); scans and images are not read',
        );
      }
    },
    (error: unknown) => log.error({ err: error }, 'could not look for the text extraction tools'),
  );
  let refreshedAt = 0;
  metrics.onCollect(async () => {
    if (Date.now() - refreshedAt < 60_000) return;
    const counts = await search.service.jobCounts().catch(() => undefined);
    if (counts === undefined) return;
    for (const [status, count] of Object.entries(counts)) metrics.extractionQueue.set({ status }, count);
    refreshedAt = Date.now();
  });
  const worker = search.worker({
    onJob: (outcome) => {
      metrics.extractionJobs.inc({ outcome: outcome.status });
      metrics.extractionDuration.observe({ method: outcome.method ?? 'none' }, outcome.seconds);
      if (outcome.pages !== null && outcome.method !== null) metrics.extractionPages.inc({ method: outcome.method === 'text' ? 'text' : 'ocr' }, outcome.pages);
      if (outcome.status === 'retry' || outcome.status === 'failed') log.error({ documentId: outcome.documentId, version: outcome.version, error: outcome.error }, `text extraction ${outcome.status === 'retry' ? 'will be retried' : 'failed'}`);
    },
  });
  let running: { stop(): Promise<void> } | undefined;
  const started = enqueueMissing(core.db, new Date()).then(
    (queued) => {
      if (queued > 0) log.info({ queued }, 'queued the text extraction of documents without one');
      running = worker.start(5000, (error) => log.error({ err: error }, 'text extraction worker error'));
    },
    (error: unknown) => log.error({ err: error }, 'could not queue documents without text extraction'),
  );
  return {
    stop: async () => {
      await started;
      await running?.stop();
    },
  };
}

/** How often, at most, the webhook queue's gauges are read from the database. */
const WEBHOOK_QUEUE_REFRESH_MS = 15_000;
/** How often `serve` removes events delivered more than `DOCSTORE_WEBHOOK_KEEP_DAYS` ago. */
export const OUTBOX_PRUNE_EVERY_MS = 3_600_000;
/** Events removed per prune query (a first prune after months removes the rest an hour later). */
const OUTBOX_PRUNE_BATCH = 10_000;

/**
 * Starts this instance's webhook dispatcher when webhooks are configured (docs/events.md): it
 * sends the outbox's deliveries, sharing the queue with other instances through leases. Counts
 * attempts by result and, from the database, deliveries by status and the oldest pending one's age;
 * logs each failed attempt (warn) and each dead delivery (error). Every hour it removes the events
 * delivered everywhere more than `DOCSTORE_WEBHOOK_KEEP_DAYS` ago. `stop` waits for the attempts in hand.
 */
export function startWebhooks(core: Pick<DocstoreService, 'db' | 'events'>, metrics: DocstoreMetrics, log: TaskLog & { warn(details: object, message: string): void }): { stop(): Promise<void> } | undefined {
  const { countDeliveries, oldestPendingAt, pruneDelivered } = eventsQueue;
  const settings = core.events.settings;
  if (settings === undefined) return undefined;
  let refreshedAt = 0;
  metrics.onCollect(async () => {
    if (Date.now() - refreshedAt < WEBHOOK_QUEUE_REFRESH_MS) return;
    const [counts, oldest] = await Promise.all([countDeliveries(core.db), oldestPendingAt(core.db)]).catch(() => [undefined, undefined] as const);
    if (counts === undefined) return;
    for (const [status, count] of Object.entries(counts)) metrics.webhookQueue.set({ status }, count);
    metrics.webhookQueueOldestAge.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest.getTime()) / 1000));
    refreshedAt = Date.now();
  });
  log.info({ endpoints: settings.urls.length }, 'webhooks on: sending events');
  const prune = setInterval(() => {
    pruneDelivered(core.db, new Date(Date.now() - settings.keepDays * 86_400_000), OUTBOX_PRUNE_BATCH).then(
      (removed) => removed > 0 && log.info({ removed }, 'removed delivered events from the outbox'),
      (error: unknown) => log.error({ err: error }, 'outbox prune failed'),
    );
  }, OUTBOX_PRUNE_EVERY_MS);
  prune.unref();
  const dispatcher = core.events.startDispatcher({
    onDelivery: (outcome) => {
      if (outcome.result === 'lease_lost') return;
      metrics.webhookDeliveries.inc({ result: outcome.result });
      const details = { eventId: outcome.eventId, type: outcome.type, endpoint: displayedEndpoint(outcome.endpoint), attempt: outcome.attempt, error: outcome.error };
      if (outcome.result === 'failed') log.warn(details, 'webhook delivery failed, will be retried');
      if (outcome.result === 'dead') log.error(details, 'webhook delivery dead after its last attempt: docstore events list --status dead');
    },
    onError: (error) => log.error({ err: error }, 'webhook dispatcher error'),
  });
  return {
    stop: async () => {
      clearInterval(prune);
      await dispatcher?.stop();
    },
  };
}

/** `docstore serve`: builds the service with its HTTP app, listens, runs the periodic tasks and stops on SIGINT or SIGTERM. */
export async function serve(config: DocstoreConfig): Promise<void> {
  // Fastify and the console load here, for `serve` only.
  const { createService, listenService } = await import('../http/server.js');
  const service = await createService(config);
  const listeners = await listenService(service, config).catch(async (error: unknown) => {
    await service.close();
    throw error;
  });
  const tasks = startPeriodicTasks(service, service.app.log);
  const scrub = config.scrub === undefined ? undefined : startScheduledScrub(service, config.scrub, service.metrics, service.app.log);
  const extraction = startExtraction(service, service.metrics, service.app.log);
  // A signed checkpoint of each audit chain's head now, every DOCSTORE_AUDIT_CHECKPOINT_MINUTES and at shutdown (service.close).
  service.audit.checkpointer.start(config.audit.checkpointMinutes * 60_000, (error) => service.app.log.error({ err: error }, 'audit checkpoint failed'));
  const webhooks = startWebhooks(service, service.metrics, service.app.log);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`docstore: serving on ${listeners.apiUrl} (storage: ${service.storage.name}, database: ${config.database.dialect})`);
  say(`  console:    ${config.http.publicBaseUrl}/${service.consoleBuilt ? '' : ' (not built: run `npm run build`, then restart docstore)'}`);
  say(`  API docs:   ${config.http.publicBaseUrl}/docs`);
  say(`  metrics:    ${listeners.metricsUrl}/metrics${config.metrics.token === undefined ? '' : ' (bearer token required)'}`);
  if (service.generatedJwtSecret) say(`  generated a JWT secret in ${config.dataDir}/jwt-secret (mode 0600): keep it, tokens depend on it`);
  if (service.jwtSecret !== undefined) {
    say('  sign in:    npm run docstore -- open   (prints a console link with a one-hour token)');
    say(`  mint a token: npm run docstore -- token --sub me --org ${DEFAULT_ORGANIZATION} --role syndic`);
  }
  const stop = async () => {
    tasks.stop();
    scrub?.stop();
    // A job in hand is abandoned: its lease lapses and another instance (or the next start) takes it again.
    void extraction?.stop();
    // Attempts in hand end within DOCSTORE_WEBHOOK_TIMEOUT_SECONDS; service.close waits for them.
    void webhooks?.stop();
    await listeners.close();
    await service.close();
    process.exit(EXIT.ok);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
