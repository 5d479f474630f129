import type { FastifyInstance } from 'fastify';
import type { DocstoreConfig } from '../config.js';
import { JwtVerifier } from '../auth/jwt-verifier.js';
import type { DocumentService } from '../documents/document-service.js';
import { DocstoreMetrics } from '../metrics/docstore-metrics.js';
import { startMetricsServer } from '../metrics/metrics-server.js';
import { loadStatus } from '../backup/repository/backup-state.js';
import { jwtConfigOf } from '../auth/jwt-config.js';
import { createDocstoreService, type DocstoreService } from '../service.js';
import { countBrokenDocuments } from '../documents/integrity/integrity-repository.js';
import { readScrubState } from '../documents/integrity/scrub-repository.js';
import { AuditQuery } from '../audit/query/audit-query.js';
import { buildApp } from './app.js';
import { ListenError } from './listen-error.js';
import { ConsoleAssets } from './console/console-assets.js';
import { UploadLimiter } from './limits/upload-limiter.js';
import { createResumableUploads } from '../uploads/create-resumable-uploads.js';
import { sweepIntervalMs } from '../uploads/resumable-upload-expiry.js';
import type { ResumableUploads } from '../uploads/resumable-uploads.js';

/** Where `npm run build` puts the console (relative to this file: src/http or dist/http → dist/web). */
export const CONSOLE_DIR = new URL('../../dist/web/', import.meta.url).pathname;

/** The core (`src/service.ts`) with HTTP on top: what `docstore serve` runs. */
export interface Service extends DocstoreService {
  app: FastifyInstance;
  metrics: DocstoreMetrics;
  /** Uploads in flight (their slots and idle timeout). */
  uploads: UploadLimiter;
  /** Resumable (tus) uploads at `/api/v1/uploads`. */
  resumableUploads: ResumableUploads;
  /** The HS256 secret in use, when tokens are verified with one (for `docstore token`). */
  jwtSecret?: Uint8Array;
  /** Whether the JWT secret was generated now (first start of the embedded default). */
  generatedJwtSecret: boolean;
  /** Whether the web console's build was found (`npm run build` makes it; `serve` never builds it). */
  consoleBuilt: boolean;
  /** Closes the app, then the core. */
  close(): Promise<void>;
}

/**
 * Builds the core (`createDocstoreService`: storage checked, database migrated, documents) with a
 * metrics registry, then the token verifier and the HTTP app on top; does not listen.
 */
export async function createService(config: DocstoreConfig, options: { logger?: boolean | { level: string }; consoleDir?: string; now?: () => Date } = {}): Promise<Service> {
  const metrics = new DocstoreMetrics();
  const core = await createDocstoreService(config, { metrics, ...(options.now === undefined ? {} : { now: options.now }) });
  try {
    const { jwt, secret, generated } = await jwtConfigOf(config);
    const verifier = await JwtVerifier.create(jwt);
    metrics.onCollect(documentGaugesRefresher(metrics, core.documents));
    metrics.onCollect(backupStatusRefresher(metrics, config.dataDir));
    const consoleAssets = await ConsoleAssets.load(options.consoleDir ?? CONSOLE_DIR);
    const uploads = new UploadLimiter(config.uploads, metrics);
    let logRemovalError = (_error: unknown, _id: string): void => {};
    const resumableUploads = await createResumableUploads({ ...config, corsOrigins: config.http.corsOrigins }, core, (outcome) => metrics.resumableUploads.inc({ outcome }), (error, id) => logRemovalError(error, id));
    watchIntegrity(core, metrics);
    metrics.onCollect(integrityGaugesRefresher(metrics, core));
    const app = await buildApp({
      db: core.db,
      storage: core.storage,
      documents: core.documents,
      buildings: core.buildings,
      idempotency: core.idempotency,
      integrity: core.integrity,
      handover: core.handover,
      search: core.search.service,
      audit: new AuditQuery({ db: core.db, log: core.audit.log, sealer: core.audit.sealer }),
      verifier,
      ...(core.signer === undefined ? {} : { signer: core.signer }),
      maxUploadBytes: config.maxUploadBytes,
      allowedMimeTypes: config.allowedMimeTypes,
      trashDays: config.trashDays,
      healthCheckTimeoutSeconds: config.healthCheckTimeoutSeconds,
      uploads,
      resumableUploads,
      corsOrigins: config.http.corsOrigins,
      requestTimeouts: config.http.timeouts,
      logger: options.logger ?? { level: config.logLevel },
      metrics,
      ...(consoleAssets === undefined ? {} : { console: consoleAssets }),
    });
    logRemovalError = (error, id) => app.log.error({ err: error, upload: id }, 'could not remove a finished resumable upload; the expiry sweep does not remove it');
    resumableUploads.startSweeping(sweepIntervalMs(config.resumableUploadExpirySeconds), (error) => app.log.error({ err: error }, 'could not remove expired resumable uploads'));
    core.integrity.logError = (details, message) => app.log.error(details, message);
    core.handover.jobs.logError = (details, message) => app.log.error(details, message);
    core.integrity.onDamage((damage) => app.log.error({ damage }, `damaged content: document ${damage.documentId} version ${damage.version} (${damage.reason}, found by ${damage.source}); the document is now broken`));
    return {
      ...core,
      app,
      metrics,
      uploads,
      ...(secret === undefined ? {} : { jwtSecret: secret }),
      generatedJwtSecret: generated,
      consoleBuilt: consoleAssets !== undefined,
      resumableUploads,
      close: async () => {
        await resumableUploads.stop();
        await app.close();
        await core.close();
      },
    };
  } catch (error) {
    await core.close();
    throw error;
  }
}

/** The listeners of a serving instance. */
export interface ServiceListeners {
  /** The API's address, e.g. `http://127.0.0.1:8080` (the port resolved when 0 was asked). */
  apiUrl: string;
  /** The metrics listener's address. */
  metricsUrl: string;
  /** Closes the metrics listener (the API closes with the service). */
  close(): Promise<void>;
}

/**
 * Opens the metrics listener, then the API's (whose log line says "Server listening"), so nothing
 * announces listening before every listener is up. When one cannot open, the other is closed and a
 * `ListenError` names the variable to change (`METRICS_PORT`, `PORT`, …).
 */
export async function listenService(service: Service, config: DocstoreConfig): Promise<ServiceListeners> {
  const metricsServer = await startMetricsServer({ metrics: service.metrics, ...config.metrics }).catch((error: unknown) => {
    throw ListenError.of(error, { name: 'metrics', host: config.metrics.host, port: config.metrics.port, hostVariable: 'METRICS_HOST', portVariable: 'METRICS_PORT' });
  });
  try {
    const apiUrl = await service.app.listen({ host: config.http.host, port: config.http.port });
    return { apiUrl, metricsUrl: metricsServer.url, close: () => metricsServer.close() };
  } catch (error) {
    await metricsServer.close();
    throw ListenError.of(error, { name: 'API', host: config.http.host, port: config.http.port, hostVariable: 'HOST', portVariable: 'PORT' });
  }
}

/** Counts every damaged object found, by a read or by the scrub (`docstore_integrity_failures_total`). */
function watchIntegrity(core: DocstoreService, metrics: DocstoreMetrics): void {
  core.integrity.onDamage((damage) => metrics.integrityFailures.inc({ source: damage.source, reason: damage.reason }));
}

/**
 * `docstore_documents_broken` and the scrub's progress, read from the database (any instance's
 * scrub and `docstore scrub` count), at most once a minute.
 */
function integrityGaugesRefresher(metrics: DocstoreMetrics, core: DocstoreService, maxAgeMs = 60_000): () => Promise<void> {
  let refreshedAt = 0;
  return async () => {
    if (Date.now() - refreshedAt < maxAgeMs) return;
    await Promise.all([countBrokenDocuments(core.db), readScrubState(core.db)]).then(
      ([broken, scrub]) => {
        metrics.brokenDocuments.set(broken);
        metrics.scrubPassStarted.set((scrub.passStartedAt?.getTime() ?? 0) / 1000);
        metrics.scrubLastCompletion.set((scrub.lastCompletedAt?.getTime() ?? 0) / 1000);
        refreshedAt = Date.now();
      },
      // Keep the previous values; the next scrape tries again (as the documents gauges do).
      () => undefined,
    );
  };
}

/**
 * `docstore backup run` runs in another process (a timer) and records its successes under DATA_DIR;
 * each scrape exports them, from start-up on: the last success time, and the totals as counters.
 */
function backupStatusRefresher(metrics: DocstoreMetrics, dataDir: string): () => Promise<void> {
  const exported = { uploaded: 0, reused: 0, bytes: 0 };
  return async () => {
    const status = await loadStatus(dataDir);
    metrics.backupLastSuccess.set(status?.lastSuccessSeconds ?? 0);
    if (status === undefined) return;
    const totals = { uploaded: status.objectsUploadedTotal ?? 0, reused: status.objectsReusedTotal ?? 0, bytes: status.bytesUploadedTotal ?? 0 };
    metrics.backupObjects.inc({ kind: 'uploaded' }, Math.max(0, totals.uploaded - exported.uploaded));
    metrics.backupObjects.inc({ kind: 'skipped' }, Math.max(0, totals.reused - exported.reused));
    metrics.backupBytes.inc(Math.max(0, totals.bytes - exported.bytes));
    Object.assign(exported, totals);
  };
}

/** Refreshes the documents-by-type gauges from the database at most once a minute (not per scrape). */
function documentGaugesRefresher(metrics: DocstoreMetrics, documents: DocumentService, maxAgeMs = 60_000): () => Promise<void> {
  let refreshedAt = 0;
  let pending: Promise<void> | undefined;
  return async () => {
    if (Date.now() - refreshedAt < maxAgeMs) return;
    pending ??= documents.statistics().then(
      (rows) => {
        metrics.documents.reset();
        metrics.documentBytes.reset();
        for (const row of rows) {
          metrics.documents.set({ type: row.type }, row.count);
          metrics.documentBytes.set({ type: row.type }, row.bytes);
        }
        refreshedAt = Date.now();
      },
      // Keep the previous values; the next scrape tries again (the failure shows in the API's health).
      () => undefined,
    ).finally(() => {
      pending = undefined;
    });
    await pending;
  };
}
