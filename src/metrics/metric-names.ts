/**
 * Every metric docstore exports, by name. Dashboards, alert rules and their tests refer to these;
 * a test checks that each one appears in a real /metrics output. Labels are low-cardinality only:
 * never ids, buildings or users.
 */
export const METRICS = {
  /** counter {backend, operation, result}: result is `ok` or the error code without `storage.` (`not_found`, `unavailable`, …). */
  storageOperations: 'docstore_storage_operations_total',
  /** histogram {backend, operation}, seconds; buckets resolve 1–500 ms. */
  storageOperationDuration: 'docstore_storage_operation_duration_seconds',
  /** counter {backend, direction}: direction `in` (written) or `out` (read). */
  storageBytes: 'docstore_storage_bytes_total',
  /** gauge {backend}: 1 when the last periodic storage check passed, else 0. */
  storageUp: 'docstore_storage_up',
  /** gauge: bytes free on the file system of the local storage path (local backend only). */
  localStorageFreeBytes: 'docstore_local_storage_free_bytes',
  /** gauge: total bytes of the file system of the local storage path (local backend only). */
  localStorageSizeBytes: 'docstore_local_storage_size_bytes',
  /** counter {route, method, status_class}: route is the route template, status_class `2xx`…`5xx`. */
  httpRequests: 'docstore_http_requests_total',
  /** histogram {route, method}, seconds. */
  httpRequestDuration: 'docstore_http_request_duration_seconds',
  /** histogram, bytes of accepted uploads. */
  uploadSize: 'docstore_upload_size_bytes',
  /** histogram {size_class}, seconds per accepted upload; size_class `under_256k`, `1m` (256 KiB–2 MiB), `under_16m`, `16m_and_more`. */
  uploadDuration: 'docstore_upload_duration_seconds',
  /** counter {reason}: `size`, `type`, `auth`, `busy` (too many uploads in flight), `invalid`. */
  uploadsRejected: 'docstore_uploads_rejected_total',
  /** counter {reason}: uploads aborted before their body arrived: `idle` (no byte for UPLOAD_IDLE_TIMEOUT_SECONDS), `disconnect` (the connection closed). */
  uploadsAborted: 'docstore_uploads_aborted_total',
  /** counter {outcome}: resumable (tus) uploads `created`, `completed` (a document or version), `refused` at completion, `expired` (parts removed). */
  resumableUploads: 'docstore_resumable_uploads_total',
  /** gauge {type}: live documents, refreshed from the database at most once a minute. */
  documents: 'docstore_documents',
  /** gauge {type}: bytes of live documents, refreshed with `docstore_documents`. */
  documentBytes: 'docstore_document_bytes',
  /** gauge: Unix time of the last successful backup (0 before the first). */
  backupLastSuccess: 'docstore_backup_last_success_timestamp_seconds',
  /** counter {kind}: objects processed by backups (`uploaded`, `skipped`). */
  backupObjects: 'docstore_backup_objects_total',
  /** counter: bytes uploaded by backups. */
  backupBytes: 'docstore_backup_bytes_total',
  /** gauge: Unix time of the last successful mirror run (0 before the first). */
  mirrorLastSuccess: 'docstore_mirror_last_success_timestamp_seconds',
  /** counter {result}: objects handled by mirror runs (`copied`, `skipped`, `deleted`, `failed`). */
  mirrorObjects: 'docstore_mirror_objects_total',
  /** counter: bytes copied by mirror runs. */
  mirrorBytes: 'docstore_mirror_bytes_total',
  /** counter {source, reason}: damaged objects found; source `read` (a full read through the API) or `scrub`, reason `mismatch` or `missing`. */
  integrityFailures: 'docstore_integrity_failures_total',
  /** counter {result}: objects read by the scrub (`ok`, `damaged`, `missing`). */
  scrubObjects: 'docstore_scrub_objects_total',
  /** counter: bytes read by the scrub. */
  scrubBytes: 'docstore_scrub_bytes_total',
  /** gauge: Unix time the scrub last finished reading every version (0: never); from the database, so any instance's or the CLI's pass counts. */
  scrubLastCompletion: 'docstore_scrub_last_completion_timestamp_seconds',
  /** gauge: documents whose content is damaged or missing (status `broken`), refreshed from the database at most once a minute. */
  brokenDocuments: 'docstore_documents_broken',
  /** gauge: Unix time the current scrub pass began (0: never began). */
  scrubPassStarted: 'docstore_scrub_pass_started_timestamp_seconds',
  /** counter {outcome}: extraction jobs ended by this instance: a final status (`done`, `limited`, `failed`, `unsupported`, `ocr_off`, `excluded`, `superseded`) or `retry`. */
  extractionJobs: 'docstore_extraction_jobs_total',
  /** counter {method}: PDF pages read, `text` (a text layer) or `ocr` is the job's method (`text+ocr` counts under ocr). */
  extractionPages: 'docstore_extraction_pages_total',
  /** histogram {method}, seconds per extraction job (`text`, `ocr`, `text+ocr`, `none`). */
  extractionDuration: 'docstore_extraction_duration_seconds',
  /** gauge {status}: extraction jobs by status, from the database (every instance's), refreshed at most once a minute. */
  extractionQueue: 'docstore_extraction_queue',
  /** gauge: 1 when tesseract with the configured languages is installed (OCR on), else 0. */
  ocrEnabled: 'docstore_ocr_enabled',
  /** histogram, seconds per search (the query, the count and the snippets). */
  searchDuration: 'docstore_search_duration_seconds',
  /** counter {result}: webhook delivery attempts of this instance: `delivered`, `failed` (to be retried), `dead` (the last attempt failed). */
  webhookDeliveries: 'docstore_webhook_deliveries_total',
  /** gauge {status}: webhook deliveries by status (`pending`, `delivered`, `dead`), from the database (every instance's), refreshed at most every 15 s. */
  webhookQueue: 'docstore_webhook_queue',
  /** gauge: age in seconds of the oldest pending webhook delivery (0: none pending), refreshed with `docstore_webhook_queue`. */
  webhookQueueOldestAge: 'docstore_webhook_queue_oldest_age_seconds',
} as const;

/** Histogram buckets, in seconds, that resolve 1–500 ms. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Upload size buckets, in bytes (1 KiB – 64 MiB). */
export const UPLOAD_SIZE_BUCKETS_BYTES = [1024, 16 * 1024, 256 * 1024, 1024 ** 2, 4 * 1024 ** 2, 16 * 1024 ** 2, 50 * 1024 ** 2, 64 * 1024 ** 2];
