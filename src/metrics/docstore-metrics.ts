import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS, METRICS, UPLOAD_SIZE_BUCKETS_BYTES } from './metric-names.js';

/**
 * docstore's metrics on a registry of their own (plus Node's and the process's defaults). One
 * instance per service; decorators and hooks receive it.
 */
export class DocstoreMetrics {
  readonly registry = new Registry();
  readonly storageOperations = new Counter({
    name: METRICS.storageOperations,
    help: 'Storage operations by backend, operation and result (ok or the error code).',
    labelNames: ['backend', 'operation', 'result'] as const,
    registers: [this.registry],
  });
  readonly storageOperationDuration = new Histogram({
    name: METRICS.storageOperationDuration,
    help: 'Duration of storage operations in seconds (a get until its body is consumed).',
    labelNames: ['backend', 'operation'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly storageBytes = new Counter({
    name: METRICS.storageBytes,
    help: 'Bytes written to (in) and read from (out) the storage.',
    labelNames: ['backend', 'direction'] as const,
    registers: [this.registry],
  });
  readonly storageUp = new Gauge({
    name: METRICS.storageUp,
    help: '1 when the last periodic storage check passed, else 0.',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });
  readonly localStorageFreeBytes = new Gauge({ name: METRICS.localStorageFreeBytes, help: 'Free bytes on the local storage file system.', registers: [this.registry] });
  readonly localStorageSizeBytes = new Gauge({ name: METRICS.localStorageSizeBytes, help: 'Size in bytes of the local storage file system.', registers: [this.registry] });
  readonly httpRequests = new Counter({
    name: METRICS.httpRequests,
    help: 'HTTP requests by route template, method and status class.',
    labelNames: ['route', 'method', 'status_class'] as const,
    registers: [this.registry],
  });
  readonly httpRequestDuration = new Histogram({
    name: METRICS.httpRequestDuration,
    help: 'HTTP request duration in seconds, by route template and method.',
    labelNames: ['route', 'method'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly uploadSize = new Histogram({ name: METRICS.uploadSize, help: 'Size of accepted uploads in bytes.', buckets: UPLOAD_SIZE_BUCKETS_BYTES, registers: [this.registry] });
  readonly uploadDuration = new Histogram({
    name: METRICS.uploadDuration,
    help: 'Duration of accepted uploads in seconds, by size class.',
    labelNames: ['size_class'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly uploadsRejected = new Counter({
    name: METRICS.uploadsRejected,
    help: 'Uploads refused, by reason (size, type, auth, busy, invalid).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly uploadsAborted = new Counter({
    name: METRICS.uploadsAborted,
    help: 'Uploads aborted before their body arrived, by reason (idle, disconnect).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly resumableUploads = new Counter({
    name: METRICS.resumableUploads,
    help: 'Resumable (tus) uploads by outcome (created, completed, refused, expired).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly documents = new Gauge({ name: METRICS.documents, help: 'Live documents by type.', labelNames: ['type'] as const, registers: [this.registry] });
  readonly documentBytes = new Gauge({ name: METRICS.documentBytes, help: 'Bytes of live documents by type.', labelNames: ['type'] as const, registers: [this.registry] });
  readonly backupLastSuccess = new Gauge({ name: METRICS.backupLastSuccess, help: 'Unix time of the last successful backup (0: never).', registers: [this.registry] });
  readonly backupObjects = new Counter({ name: METRICS.backupObjects, help: 'Objects processed by backups.', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly backupBytes = new Counter({ name: METRICS.backupBytes, help: 'Bytes uploaded by backups.', registers: [this.registry] });
  readonly mirrorLastSuccess = new Gauge({ name: METRICS.mirrorLastSuccess, help: 'Unix time of the last successful mirror run (0: never).', registers: [this.registry] });
  readonly mirrorObjects = new Counter({ name: METRICS.mirrorObjects, help: 'Objects handled by mirror runs.', labelNames: ['result'] as const, registers: [this.registry] });
  readonly mirrorBytes = new Counter({ name: METRICS.mirrorBytes, help: 'Bytes copied by mirror runs.', registers: [this.registry] });
  readonly integrityFailures = new Counter({
    name: METRICS.integrityFailures,
    help: 'Damaged objects found, by where (read, scrub) and why (mismatch, missing).',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });
  readonly scrubObjects = new Counter({ name: METRICS.scrubObjects, help: 'Objects read by the scrub, by result (ok, damaged, missing).', labelNames: ['result'] as const, registers: [this.registry] });
  readonly scrubBytes = new Counter({ name: METRICS.scrubBytes, help: 'Bytes read by the scrub.', registers: [this.registry] });
  readonly scrubLastCompletion = new Gauge({ name: METRICS.scrubLastCompletion, help: 'Unix time the scrub last finished reading every version (0: never).', registers: [this.registry] });
  readonly brokenDocuments = new Gauge({ name: METRICS.brokenDocuments, help: 'Documents whose content is damaged or missing (status broken).', registers: [this.registry] });
  readonly scrubPassStarted = new Gauge({ name: METRICS.scrubPassStarted, help: 'Unix time the current scrub pass began (0: never).', registers: [this.registry] });

  readonly extractionJobs = new Counter({ name: METRICS.extractionJobs, help: 'Extraction jobs ended by this instance, by outcome.', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly extractionPages = new Counter({ name: METRICS.extractionPages, help: 'PDF pages read by extraction, by method (text, ocr).', labelNames: ['method'] as const, registers: [this.registry] });
  readonly extractionDuration = new Histogram({
    name: METRICS.extractionDuration,
    help: 'Duration of extraction jobs in seconds, by method.',
    labelNames: ['method'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly extractionQueue = new Gauge({ name: METRICS.extractionQueue, help: 'Extraction jobs by status (every instance).', labelNames: ['status'] as const, registers: [this.registry] });
  readonly ocrEnabled = new Gauge({ name: METRICS.ocrEnabled, help: '1 when OCR is on (tesseract and its languages installed), else 0.', registers: [this.registry] });
  readonly searchDuration = new Histogram({ name: METRICS.searchDuration, help: 'Duration of searches in seconds.', buckets: LATENCY_BUCKETS_SECONDS, registers: [this.registry] });
  readonly webhookDeliveries = new Counter({ name: METRICS.webhookDeliveries, help: 'Webhook delivery attempts of this instance, by result (delivered, failed, dead).', labelNames: ['result'] as const, registers: [this.registry] });
  readonly webhookQueue = new Gauge({ name: METRICS.webhookQueue, help: 'Webhook deliveries by status (every instance).', labelNames: ['status'] as const, registers: [this.registry] });
  readonly webhookQueueOldestAge = new Gauge({ name: METRICS.webhookQueueOldestAge, help: 'Age in seconds of the oldest pending webhook delivery (0: none).', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.backupLastSuccess.set(0);
    this.mirrorLastSuccess.set(0);
    for (const source of ['read', 'scrub']) for (const reason of ['mismatch', 'missing']) this.integrityFailures.inc({ source, reason }, 0);
    for (const result of ['ok', 'damaged', 'missing']) this.scrubObjects.inc({ result }, 0);
    for (const result of ['delivered', 'failed', 'dead']) this.webhookDeliveries.inc({ result }, 0);
  }

  /** Refreshes gauges computed elsewhere before each scrape (`refresh` runs at most as often as it decides). */
  onCollect(refresh: () => Promise<void>): void {
    this.collectors.push(refresh);
  }

  /** The exposition text, after running the collectors. */
  async exposition(): Promise<string> {
    await Promise.all(this.collectors.map((collect) => collect()));
    return this.registry.metrics();
  }

  private readonly collectors: Array<() => Promise<void>> = [];
}

/** The upload size class of the `docstore_upload_duration_seconds` histogram. */
export function uploadSizeClass(bytes: number): string {
  if (bytes < 256 * 1024) return 'under_256k';
  if (bytes <= 2 * 1024 * 1024) return '1m';
  if (bytes < 16 * 1024 * 1024) return 'under_16m';
  return '16m_and_more';
}
