import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DocstoreConfig } from '../config.js';
import { JwtVerifier } from '../auth/jwt-verifier.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { DocumentService } from '../documents/document-service.js';
import { createObjectStorage, storageWiringOf } from '../storage/create-object-storage.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { DocstoreMetrics } from '../metrics/docstore-metrics.js';
import { startMetricsServer } from '../metrics/metrics-server.js';
import { loadStatus } from '../backup/backup-state.js';
import { jwtConfigOf } from '../auth/jwt-config.js';
import { buildApp } from './app.js';
import { ListenError } from './listen-error.js';
import { ConsoleAssets } from './console-assets.js';
import { UploadLimiter } from './upload-limiter.js';

/** Where `npm run build` puts the console (relative to this file: src/http or dist/http → dist/web). */
export const CONSOLE_DIR = new URL('../../dist/web/', import.meta.url).pathname;

export interface Service {
  app: FastifyInstance;
  metrics: DocstoreMetrics;
  db: Kysely<Database>;
  storage: ObjectStorage;
  documents: DocumentService;
  /** Uploads in flight (their slots and idle timeout). */
  uploads: UploadLimiter;
  /** The HS256 secret in use, when tokens are verified with one (for `docstore token`). */
  jwtSecret?: Uint8Array;
  /** Whether the JWT secret was generated now (first start of the embedded default). */
  generatedJwtSecret: boolean;
  /** Whether the web console's build was found (`npm run build` makes it; `serve` never builds it). */
  consoleBuilt: boolean;
  close(): Promise<void>;
}

/**
 * Wires the whole service from a configuration: storage (checked), database (migrated), token
 * verifier, documents service and HTTP app; does not listen.
 */
export async function createService(config: DocstoreConfig, options: { logger?: boolean | { level: string }; consoleDir?: string } = {}): Promise<Service> {
  const metrics = new DocstoreMetrics();
  const { storage, signer, prepare } = await createObjectStorage(config.storage, { ...storageWiringOf(config), metrics });
  await prepare();
  const { db } = openDatabase(config.database);
  try {
    await migrateToLatest(db);
    const { jwt, secret, generated } = await jwtConfigOf(config);
    const verifier = await JwtVerifier.create(jwt);
    const documents = new DocumentService({
      db,
      storage,
      allowedMimeTypes: new Set(config.allowedMimeTypes),
      maxUploadBytes: config.maxUploadBytes,
      trashDays: config.trashDays,
    });
    metrics.onCollect(documentGaugesRefresher(metrics, documents));
    metrics.onCollect(backupStatusRefresher(metrics, config.dataDir));
    const consoleAssets = await ConsoleAssets.load(options.consoleDir ?? CONSOLE_DIR);
    const uploads = new UploadLimiter(config.uploads, metrics);
    const app = await buildApp({
      db,
      storage,
      documents,
      verifier,
      ...(signer === undefined ? {} : { signer }),
      maxUploadBytes: config.maxUploadBytes,
      allowedMimeTypes: config.allowedMimeTypes,
      healthCheckTimeoutSeconds: config.healthCheckTimeoutSeconds,
      uploads,
      requestTimeouts: config.http.timeouts,
      logger: options.logger ?? { level: config.logLevel },
      metrics,
      ...(consoleAssets === undefined ? {} : { console: consoleAssets }),
    });
    return {
      app,
      metrics,
      db,
      storage,
      documents,
      uploads,
      ...(secret === undefined ? {} : { jwtSecret: secret }),
      generatedJwtSecret: generated,
      consoleBuilt: consoleAssets !== undefined,
      close: async () => {
        await app.close();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
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

/** Refreshes the documents-by-type gauges from the database at most once a minute (not per scrape). */
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
