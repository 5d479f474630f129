import { z } from 'zod';
import type { JwtSettings } from './auth/jwt-config.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { base64Secret, httpUrl, parsedText, seconds } from './config/env-values.js';
import { jwtProductionIssues, jwtSettingsOf, jwtVariables } from './config/jwt-variables.js';
import { webhookSettingsOf, webhookVariables } from './config/webhook-variables.js';
import type { WebhookSettings } from './events/webhook-settings.js';
import { encryptionConfigOf, storageConfigOf, storageIssues, storageProductionIssues, storageVariables } from './config/storage-variables.js';
import { DEFAULT_CHECKPOINT_MINUTES, type AuditSettings } from './audit/evidence/audit-settings.js';
import type { DatabaseConfig } from './db/database.js';
import { DEFAULT_ALLOWED_MIME_TYPES } from './documents/allowed-mime-types.js';
import { parseRetentionOverrides, type RetentionOverrides } from './documents/retention/retention-rules.js';
import type { ScrubSchedule } from './documents/integrity/scrub-schedule.js';
import { parseByteRate } from './sync/bandwidth-limiter.js';
import { DEFAULT_REQUEST_TIMEOUTS, type RequestTimeouts } from './http/limits/request-timeouts.js';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './http/limits/upload-limiter.js';
import { DEFAULT_RESUMABLE_UPLOAD_EXPIRY_SECONDS } from './uploads/resumable-upload-expiry.js';
import { corsOriginsVariable } from './http/cors-origins.js';
import type { MetricsServerOptions } from './metrics/metrics-server.js';
import { DEFAULT_EXTRACTION_LIMITS } from './search/extraction/extraction-limits.js';
import type { SearchSettings } from './search/search-settings.js';
import { DOCUMENT_TYPES, type DocumentType } from './shared/document.js';
import type { EncryptionConfig, StorageConfig } from './storage/storage-config.js';

/**
 * Reads and validates docstore's environment once. Adapters never read the environment: they get
 * the typed values below, of types their modules own. Every invalid or missing variable is
 * reported at once, by name. The storage's and the tokens' variables are pieces of their own
 * (`config/storage-variables.ts`, `config/jwt-variables.ts`), as are `describeConfig`
 * (`config/describe-config.ts`) and the remotes of `mirror` and `verify` (`config/remote-config.ts`).
 */

export interface DocstoreConfig {
  storage: StorageConfig;
  /** `HEALTH_CHECK_TIMEOUT_SECONDS`: how long `/health/ready` waits for each of the database and the storage. @default 3 */
  healthCheckTimeoutSeconds: number;
  /** `DATABASE_URL` (postgres://…), else SQLite at `$DATA_DIR/docstore.sqlite`. */
  database: DatabaseConfig;
  /** How bearer tokens are verified; a `secret` without value is generated under `dataDir`. */
  jwt: JwtSettings;
  /** Largest upload in bytes. @default 52428800 (50 MiB) */
  maxUploadBytes: number;
  /** `RESUMABLE_UPLOAD_EXPIRY_SECONDS`: an unfinished resumable upload expires this long after its creation. */
  resumableUploadExpirySeconds: number;
  /** Days in the trash before purge. @default 30 */
  trashDays: number;
  /** `DOCSTORE_EXPORT_EXPIRY_HOURS`: a ready export's archive is removed this long after it was finished (0: never). @default 168 */
  exportExpiryHours: number;
  /** `DOCSTORE_RETENTION`: retention periods by document type over docstore's defaults (docs/retention.md). @default {} */
  retention: RetentionOverrides;
  /** `DOCSTORE_SCRUB_INTERVAL_HOURS` and co.: the scheduled scrub of `serve`; off when unset (docs/operations.md#the-scrub). */
  scrub?: ScrubSchedule;
  /** MIME types accepted, detected from content. */
  allowedMimeTypes: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** The Prometheus listener, separate from the API. @default 127.0.0.1:9464 */
  metrics: Omit<MetricsServerOptions, 'metrics'>;
  /** `production` refuses weak settings at start-up. @default 'development' */
  environment: 'development' | 'production' | 'test';
  /** Root of the embedded default's data (objects, SQLite, signing secret). */
  dataDir: string;
  http: {
    host: string;
    port: number;
    /** Base URL clients reach docstore at; local presigned links point under it. */
    publicBaseUrl: string;
    /** `HEADERS_TIMEOUT_SECONDS`, `REQUEST_TIMEOUT_SECONDS`: how long receiving a request may take. */
    timeouts: RequestTimeouts;
    /** `DOCSTORE_CORS_ORIGINS`: origins whose pages may call the API and the tus endpoint. @default none */
    corsOrigins: string[];
  };
  /** `UPLOAD_IDLE_TIMEOUT_SECONDS`, `MAX_UPLOADS_IN_FLIGHT`, `MAX_UPLOADS_IN_FLIGHT_PER_SUBJECT`. */
  uploads: UploadLimits;
  /** Secret for local presigned links (≥ 32 bytes); generated under dataDir when absent. */
  signingSecret?: Buffer;
  backup: {
    /** The default repository of `docstore backup` commands (`file:///dir` or `s3://NAME@bucket/prefix`). */
    repository?: string;
    /** Passphrase of the backup private key (restore, `verify --read-data`, `keygen`); never needed by `backup run`. */
    passphrase?: string;
  };
  /** Client-side encryption at rest; absent: objects are stored as they are. */
  encryption?: EncryptionConfig;
  /** Search inside documents: extraction, OCR and the index (docs/search.md). */
  search: SearchSettings;
  /** The audit trail's tamper evidence (docs/audit.md#verifying-the-trail). */
  audit: AuditSettings;
  /** `DOCSTORE_WEBHOOK_URLS` and co.: events for other systems (docs/events.md); absent: none is written or sent. */
  webhooks?: WebhookSettings;
}

/** Configuration errors live in `config-error.ts` (light enough for the CLI's error reporting); re-exported for callers of `loadConfig`. */
export { ConfigError, type ConfigIssue };

const uploadCount = z.coerce.number({ error: 'must be a number of uploads' }).int().min(1).max(100_000);

const environmentSchema = z
  .object({
    DATA_DIR: z.string().min(1).default('./data'),
    ...storageVariables,
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(8080),
    PUBLIC_BASE_URL: httpUrl.optional(),
    DOCSTORE_SIGNING_SECRET: base64Secret.optional(),
    DATABASE_CONNECT_TIMEOUT_SECONDS: seconds.max(3600).default(5),
    DATABASE_STATEMENT_TIMEOUT_SECONDS: seconds.max(3600).default(15),
    HEALTH_CHECK_TIMEOUT_SECONDS: seconds.max(3600).default(3),
    DATABASE_URL: z
      .string()
      .refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), 'must be a postgres:// URL')
      .optional(),
    MAX_UPLOAD_BYTES: z.coerce.number({ error: 'must be a number of bytes' }).int().min(1).max(5 * 1024 ** 3).default(52_428_800),
    UPLOAD_IDLE_TIMEOUT_SECONDS: seconds.max(3600).default(DEFAULT_UPLOAD_LIMITS.idleTimeoutSeconds),
    MAX_UPLOADS_IN_FLIGHT: uploadCount.default(DEFAULT_UPLOAD_LIMITS.maxInFlight),
    MAX_UPLOADS_IN_FLIGHT_PER_SUBJECT: uploadCount.default(DEFAULT_UPLOAD_LIMITS.maxInFlightPerSubject),
    DOCSTORE_CORS_ORIGINS: corsOriginsVariable,
    RESUMABLE_UPLOAD_EXPIRY_SECONDS: seconds.max(30 * 86_400).default(DEFAULT_RESUMABLE_UPLOAD_EXPIRY_SECONDS),
    HEADERS_TIMEOUT_SECONDS: seconds.max(300).default(DEFAULT_REQUEST_TIMEOUTS.headersSeconds),
    REQUEST_TIMEOUT_SECONDS: seconds.max(86_400).default(DEFAULT_REQUEST_TIMEOUTS.requestSeconds),
    DOCSTORE_TRASH_DAYS: z.coerce.number({ error: 'must be a number of days' }).int().min(0).max(3650).default(30),
    DOCSTORE_EXPORT_EXPIRY_HOURS: z.coerce.number({ error: 'must be a number of hours' }).int().min(0).max(8760).default(168),
    DOCSTORE_RETENTION: parsedText(parseRetentionOverrides, (error) => error instanceof RangeError).optional(),
    DOCSTORE_SCRUB_INTERVAL_HOURS: z.coerce.number({ error: 'must be a number of hours' }).min(0.25).max(720).optional(),
    DOCSTORE_SCRUB_PERIOD_DAYS: z.coerce.number({ error: 'must be a number of days' }).int().min(1).max(3650).default(30),
    DOCSTORE_SCRUB_BANDWIDTH: parsedText(parseByteRate, (error) => error instanceof RangeError).default(20 * 1024 * 1024),
    ...jwtVariables,
    ...webhookVariables,
    DOCSTORE_ALLOWED_TYPES: z
      .string()
      .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item !== ''))
      .refine((items) => items.length > 0 && items.every((item) => /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/i.test(item)), 'must be a comma-separated list of MIME types')
      .optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be a pino level' }).default('info'),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    METRICS_PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(9464),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    NODE_ENV: z.enum(['development', 'production', 'test'], { error: 'must be development, production or test' }).default('development'),
    DOCSTORE_BACKUP_REPOSITORY: z
      .string()
      .refine((value) => value.startsWith('file:///') || value.startsWith('s3://'), 'must be file:///absolute/dir or s3://NAME@bucket/prefix')
      .optional(),
    DOCSTORE_BACKUP_PASSPHRASE: z.string().min(1).optional(),
    DOCSTORE_INDEX: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
    DOCSTORE_INDEX_EXCLUDE_TYPES: z
      .string()
      .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item !== ''))
      .refine((items) => items.every((item) => (DOCUMENT_TYPES as readonly string[]).includes(item)), `must be a comma-separated list of document types (${DOCUMENT_TYPES.join(', ')})`)
      .optional(),
    DOCSTORE_OCR_LANGUAGES: z
      .string()
      .regex(/^[a-z_]{3,10}(\+[a-z_]{3,10})*$/, 'must be tesseract languages joined by +, e.g. fra+nld')
      .default('fra+nld'),
    DOCSTORE_INDEX_MAX_PAGES: z.coerce.number({ error: 'must be a number of pages' }).int().min(1).max(100_000).default(DEFAULT_EXTRACTION_LIMITS.maxPages),
    DOCSTORE_INDEX_TIMEOUT_SECONDS: seconds.max(86_400).default(DEFAULT_EXTRACTION_LIMITS.timeoutSeconds),
    DOCSTORE_INDEX_MEMORY_MB: z.coerce.number({ error: 'must be a number of MiB' }).int().min(64).max(65_536).default(DEFAULT_EXTRACTION_LIMITS.memoryMiB),
    DOCSTORE_AUDIT_KEY_FILE: z.string().min(1).optional(),
    DOCSTORE_AUDIT_CHECKPOINT_MINUTES: z.coerce.number({ error: 'must be a number of minutes' }).int().min(1).max(10_080).default(DEFAULT_CHECKPOINT_MINUTES),
  });

/** Every environment variable docstore reads (docs/configuration.md is checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape);

/** Validates `env` (default: the process environment) into a typed configuration, or throws `ConfigError`. */
export function loadConfig(env: Record<string, string | undefined> = process.env): DocstoreConfig {
  const relevant = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(relevant);
  const issues: ConfigIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '(environment)'), message: issue.message }));
  issues.push(...storageIssues(relevant, parsed.success ? parsed.data : undefined));
  if (parsed.success && parsed.data.HEADERS_TIMEOUT_SECONDS > parsed.data.REQUEST_TIMEOUT_SECONDS) {
    issues.push({ variable: 'HEADERS_TIMEOUT_SECONDS', message: `must not exceed REQUEST_TIMEOUT_SECONDS (${parsed.data.REQUEST_TIMEOUT_SECONDS})` });
  }
  const webhooks = parsed.success ? webhookSettingsOf(parsed.data) : undefined;
  issues.push(...(webhooks?.issues ?? []));
  if (parsed.success && parsed.data.NODE_ENV === 'production') issues.push(...productionIssues(parsed.data));
  if (!parsed.success || issues.length > 0) throw new ConfigError(issues);
  const e = parsed.data;
  const publicHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST;
  const encryption = encryptionConfigOf(e);
  return {
    storage: storageConfigOf(e, e.DATA_DIR),
    database:
      e.DATABASE_URL === undefined
        ? { dialect: 'sqlite', path: `${e.DATA_DIR}/docstore.sqlite` }
        : {
            dialect: 'postgres',
            url: e.DATABASE_URL,
            timeouts: { connectSeconds: e.DATABASE_CONNECT_TIMEOUT_SECONDS, statementSeconds: e.DATABASE_STATEMENT_TIMEOUT_SECONDS },
          },
    healthCheckTimeoutSeconds: e.HEALTH_CHECK_TIMEOUT_SECONDS,
    jwt: jwtSettingsOf(e),
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    resumableUploadExpirySeconds: e.RESUMABLE_UPLOAD_EXPIRY_SECONDS,
    trashDays: e.DOCSTORE_TRASH_DAYS,
    exportExpiryHours: e.DOCSTORE_EXPORT_EXPIRY_HOURS,
    retention: e.DOCSTORE_RETENTION ?? {},
    ...(e.DOCSTORE_SCRUB_INTERVAL_HOURS === undefined
      ? {}
      : { scrub: { intervalHours: e.DOCSTORE_SCRUB_INTERVAL_HOURS, periodDays: e.DOCSTORE_SCRUB_PERIOD_DAYS, bandwidthBytesPerSecond: e.DOCSTORE_SCRUB_BANDWIDTH } }),
    allowedMimeTypes: e.DOCSTORE_ALLOWED_TYPES ?? [...DEFAULT_ALLOWED_MIME_TYPES],
    logLevel: e.LOG_LEVEL,
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT, ...(e.METRICS_TOKEN === undefined ? {} : { token: e.METRICS_TOKEN }) },
    environment: e.NODE_ENV,
    dataDir: e.DATA_DIR,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://${publicHost}:${e.PORT}`,
      timeouts: { headersSeconds: e.HEADERS_TIMEOUT_SECONDS, requestSeconds: e.REQUEST_TIMEOUT_SECONDS },
      corsOrigins: e.DOCSTORE_CORS_ORIGINS ?? [],
    },
    uploads: {
      idleTimeoutSeconds: e.UPLOAD_IDLE_TIMEOUT_SECONDS,
      maxInFlight: e.MAX_UPLOADS_IN_FLIGHT,
      maxInFlightPerSubject: e.MAX_UPLOADS_IN_FLIGHT_PER_SUBJECT,
    },
    ...(e.DOCSTORE_SIGNING_SECRET === undefined ? {} : { signingSecret: e.DOCSTORE_SIGNING_SECRET }),
    backup: {
      ...(e.DOCSTORE_BACKUP_REPOSITORY === undefined ? {} : { repository: e.DOCSTORE_BACKUP_REPOSITORY }),
      ...(e.DOCSTORE_BACKUP_PASSPHRASE === undefined ? {} : { passphrase: e.DOCSTORE_BACKUP_PASSPHRASE }),
    },
    ...(encryption === undefined ? {} : { encryption }),
    search: {
      enabled: e.DOCSTORE_INDEX === 'on',
      excludedTypes: (e.DOCSTORE_INDEX_EXCLUDE_TYPES ?? []) as DocumentType[],
      ocrLanguages: e.DOCSTORE_OCR_LANGUAGES,
      limits: { ...DEFAULT_EXTRACTION_LIMITS, maxPages: e.DOCSTORE_INDEX_MAX_PAGES, timeoutSeconds: e.DOCSTORE_INDEX_TIMEOUT_SECONDS, memoryMiB: e.DOCSTORE_INDEX_MEMORY_MB },
    },
    audit: {
      checkpointKeyFile: e.DOCSTORE_AUDIT_KEY_FILE ?? `${e.DATA_DIR}/audit/checkpoint-key.pem`,
      checkpointMinutes: e.DOCSTORE_AUDIT_CHECKPOINT_MINUTES,
    },
    ...(webhooks?.settings === undefined ? {} : { webhooks: webhooks.settings }),
  };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Settings that are tolerable in development and refused in production. */
function productionIssues(e: z.infer<typeof environmentSchema>): ConfigIssue[] {
  const issues = [...storageProductionIssues(e), ...jwtProductionIssues(e)];
  if (!LOOPBACK.has(e.METRICS_HOST) && e.METRICS_TOKEN === undefined) {
    issues.push({ variable: 'METRICS_TOKEN', message: `is required when METRICS_HOST (${e.METRICS_HOST}) is not a loopback address (NODE_ENV=production)` });
  }
  return issues;
}
