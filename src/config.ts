import { z } from 'zod';
import { DEFAULT_ALLOWED_MIME_TYPES } from './documents/allowed-mime-types.js';
import { normalizePrefix } from './storage/object-key.js';
import { InvalidKey } from './storage/storage-errors.js';
import type { S3ServerSideEncryption } from './storage/s3/s3-server-side-encryption.js';
import type { ObjectLockMode } from './storage/object-storage.js';
import { MasterKeysSyntaxError, parseMasterKeys, type MasterKey } from './storage/encryption/master-keyring.js';
import { DEFAULT_REQUEST_TIMEOUTS, type RequestTimeouts } from './http/request-timeouts.js';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './http/upload-limiter.js';
import type { DatabaseTimeouts } from './db/database.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { parseRetentionOverrides, type RetentionOverrides } from './documents/retention/retention-rules.js';

function isValidPrefix(value: string): boolean {
  try {
    normalizePrefix(value);
    return true;
  } catch (error) {
    if (error instanceof InvalidKey) return false;
    throw error;
  }
}

/**
 * Reads and validates docstore's environment once. Adapters never read the environment: they get
 * the typed values below. Every invalid or missing variable is reported at once, by name.
 */

export interface LocalStorageConfig {
  backend: 'local';
  /** Directory of the objects. */
  path: string;
}

export interface S3StorageConfig {
  backend: 's3';
  /** Internal endpoint docstore talks to; undefined means AWS. */
  endpoint?: string;
  /** Endpoint presigned URLs are signed for (what browsers reach). @default endpoint */
  publicEndpoint?: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Prepended to every key. @default '' */
  keyPrefix: string;
  /** Create the bucket (private) when it is missing. @default false */
  createBucket: boolean;
  /** `S3_CONNECT_TIMEOUT_SECONDS`: time to establish a connection. @default 5 */
  connectTimeoutSeconds?: number;
  /** `S3_IDLE_TIMEOUT_SECONDS`: longest time a request may go without sending or receiving a byte. @default 30 */
  idleTimeoutSeconds?: number;
  /** `S3_SSE`, `S3_SSE_KMS_KEY_ID`, `S3_SSE_C_KEY`: server-side encryption of every object docstore writes. @default none */
  serverSideEncryption?: S3ServerSideEncryption;
  /**
   * `S3_OBJECT_LOCK`: objects are written with the Object Lock retain-until dates and legal holds
   * of their documents, in this mode; the bucket must have Object Lock (checked at start-up).
   * Absent: off. See docs/retention.md.
   */
  objectLock?: ObjectLockMode;
}

export type StorageConfig = LocalStorageConfig | S3StorageConfig;

/** `DOCSTORE_MASTER_KEYS`: client-side encryption of every object, whatever the backend. */
export interface EncryptionConfig {
  keys: MasterKey[];
  /** The key that wraps the data keys of new objects. */
  activeId: string;
  /** `DOCSTORE_ALLOW_PLAINTEXT_OBJECTS`: objects written before encryption stay readable. @default true */
  allowPlaintext: boolean;
}

export type DatabaseSettings = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string; timeouts?: DatabaseTimeouts };

export type JwtSettings =
  | { kind: 'secret'; secret?: Uint8Array; issuer?: string; audience?: string }
  | { kind: 'public-key'; pem: string; algorithm: 'RS256' | 'ES256'; issuer?: string; audience?: string }
  | { kind: 'jwks'; url: string; issuer?: string; audience?: string };

export interface DocstoreConfig {
  storage: StorageConfig;
  /** `HEALTH_CHECK_TIMEOUT_SECONDS`: how long `/health/ready` waits for each of the database and the storage. @default 3 */
  healthCheckTimeoutSeconds: number;
  /** `DATABASE_URL` (postgres://…), else SQLite at `$DATA_DIR/docstore.sqlite`. */
  database: DatabaseSettings;
  /** How bearer tokens are verified; a `secret` without value is generated under `dataDir`. */
  jwt: JwtSettings;
  /** Largest upload in bytes. @default 52428800 (50 MiB) */
  maxUploadBytes: number;
  /** Days in the trash before purge. @default 30 */
  trashDays: number;
  /** `DOCSTORE_RETENTION`: retention periods by document type over docstore's defaults (docs/retention.md). @default {} */
  retention: RetentionOverrides;
  /** MIME types accepted, detected from content. */
  allowedMimeTypes: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** The Prometheus listener, separate from the API. @default 127.0.0.1:9464 */
  metrics: { host: string; port: number; token?: string };
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
}

/** Configuration errors live in `config-error.ts` (light enough for the CLI's error reporting); re-exported for callers of `loadConfig`. */
export { ConfigError, type ConfigIssue };

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const httpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http:// or https:// URL')
  .transform((value) => value.replace(/\/+$/, ''));

const base64Secret = z
  .string()
  .transform((value) => Buffer.from(value, 'base64'))
  .refine((value) => value.length >= 32, 'must be base64 of at least 32 bytes');

const seconds = z.coerce.number({ error: 'must be a number of seconds' }).int().min(1);
const uploadCount = z.coerce.number({ error: 'must be a number of uploads' }).int().min(1).max(100_000);

const environmentSchema = z
  .object({
    STORAGE_BACKEND: z.enum(['local', 's3'], { error: 'must be "local" or "s3"' }).default('local'),
    DATA_DIR: z.string().min(1).default('./data'),
    LOCAL_STORAGE_PATH: z.string().min(1).optional(),
    S3_ENDPOINT: httpUrl.optional(),
    S3_PUBLIC_ENDPOINT: httpUrl.optional(),
    S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name (3–63 lower-case letters, digits, "." and "-")')
      .optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY: z.string().min(1).optional(),
    S3_SECRET_KEY: z.string().min(1).optional(),
    S3_USE_PATH_STYLE: booleanFlag.default(false),
    S3_KEY_PREFIX: z
      .string()
      .refine((value) => isValidPrefix(value), 'must be a valid key prefix (no leading "/", no "..", no backslash or control characters)')
      .default(''),
    S3_CREATE_BUCKET: booleanFlag.default(false),
    S3_CONNECT_TIMEOUT_SECONDS: seconds.max(3600).default(5),
    S3_IDLE_TIMEOUT_SECONDS: seconds.max(3600).default(30),
    S3_SSE: z.enum(['none', 'AES256', 'aws:kms'], { error: 'must be none, AES256 or aws:kms (SSE-C: set S3_SSE_C_KEY instead)' }).default('none'),
    S3_SSE_KMS_KEY_ID: z.string().min(1).optional(),
    S3_OBJECT_LOCK: z.enum(['off', 'governance', 'compliance'], { error: 'must be off, governance or compliance' }).default('off'),
    S3_SSE_C_KEY: z
      .string()
      .refine((value) => /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32, 'must be base64 of exactly 32 bytes (openssl rand -base64 32)')
      .transform((value) => Buffer.from(value, 'base64'))
      .optional(),
    DOCSTORE_MASTER_KEYS: z
      .string()
      .transform((value, context) => {
        try {
          return parseMasterKeys(value);
        } catch (error) {
          if (!(error instanceof MasterKeysSyntaxError)) throw error;
          context.addIssue({ code: 'custom', message: error.message });
          return z.NEVER;
        }
      })
      .optional(),
    DOCSTORE_ALLOW_PLAINTEXT_OBJECTS: booleanFlag.default(true),
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
    HEADERS_TIMEOUT_SECONDS: seconds.max(300).default(DEFAULT_REQUEST_TIMEOUTS.headersSeconds),
    REQUEST_TIMEOUT_SECONDS: seconds.max(86_400).default(DEFAULT_REQUEST_TIMEOUTS.requestSeconds),
    DOCSTORE_TRASH_DAYS: z.coerce.number({ error: 'must be a number of days' }).int().min(0).max(3650).default(30),
    DOCSTORE_RETENTION: z
      .string()
      .transform((value, context) => {
        try {
          return parseRetentionOverrides(value);
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          context.addIssue({ code: 'custom', message: error.message });
          return z.NEVER;
        }
      })
      .optional(),
    DOCSTORE_JWT_SECRET: z
      .string()
      .refine((value) => Buffer.byteLength(value) >= 32, 'must be at least 32 bytes')
      .optional(),
    DOCSTORE_JWT_PUBLIC_KEY: z.string().refine((value) => value.includes('-----BEGIN PUBLIC KEY-----'), 'must be a PEM public key (SPKI)').optional(),
    DOCSTORE_JWT_ALGORITHM: z.enum(['RS256', 'ES256'], { error: 'must be RS256 or ES256' }).default('RS256'),
    DOCSTORE_JWT_JWKS_URL: httpUrl.optional(),
    DOCSTORE_JWT_ISSUER: z.string().min(1).optional(),
    DOCSTORE_JWT_AUDIENCE: z.string().min(1).optional(),
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
  });

/** Every environment variable docstore reads (docs/configuration.md is checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape);

/** Variables required by the S3 backend; checked even when other variables are invalid. */
const S3_REQUIRED = ['S3_BUCKET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const;

/** Validates `env` (default: the process environment) into a typed configuration, or throws `ConfigError`. */
export function loadConfig(env: Record<string, string | undefined> = process.env): DocstoreConfig {
  const relevant = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(relevant);
  const issues: ConfigIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '(environment)'), message: issue.message }));
  if (relevant.STORAGE_BACKEND === 's3') {
    for (const variable of S3_REQUIRED) {
      if (relevant[variable] === undefined) issues.push({ variable, message: 'is required when STORAGE_BACKEND=s3' });
    }
  }
  if (parsed.success) issues.push(...serverSideEncryptionIssues(parsed.data));
  if (parsed.success && parsed.data.S3_OBJECT_LOCK !== 'off' && parsed.data.STORAGE_BACKEND !== 's3') {
    issues.push({ variable: 'S3_OBJECT_LOCK', message: 'applies only with STORAGE_BACKEND=s3: a local disk cannot lock files (see docs/retention.md)' });
  }
  if (parsed.success && parsed.data.HEADERS_TIMEOUT_SECONDS > parsed.data.REQUEST_TIMEOUT_SECONDS) {
    issues.push({ variable: 'HEADERS_TIMEOUT_SECONDS', message: `must not exceed REQUEST_TIMEOUT_SECONDS (${parsed.data.REQUEST_TIMEOUT_SECONDS})` });
  }
  if (parsed.success && parsed.data.NODE_ENV === 'production') issues.push(...productionIssues(parsed.data));
  if (!parsed.success || issues.length > 0) throw new ConfigError(issues);
  const e = parsed.data;
  const storage: StorageConfig =
    e.STORAGE_BACKEND === 's3'
      ? {
          backend: 's3',
          ...(e.S3_ENDPOINT === undefined ? {} : { endpoint: e.S3_ENDPOINT }),
          ...(e.S3_PUBLIC_ENDPOINT === undefined ? {} : { publicEndpoint: e.S3_PUBLIC_ENDPOINT }),
          bucket: e.S3_BUCKET as string,
          region: e.S3_REGION,
          accessKeyId: e.S3_ACCESS_KEY as string,
          secretAccessKey: e.S3_SECRET_KEY as string,
          forcePathStyle: e.S3_USE_PATH_STYLE,
          keyPrefix: e.S3_KEY_PREFIX,
          createBucket: e.S3_CREATE_BUCKET,
          connectTimeoutSeconds: e.S3_CONNECT_TIMEOUT_SECONDS,
          idleTimeoutSeconds: e.S3_IDLE_TIMEOUT_SECONDS,
          ...serverSideEncryptionOf(e),
          ...(e.S3_OBJECT_LOCK === 'off' ? {} : { objectLock: e.S3_OBJECT_LOCK }),
        }
      : { backend: 'local', path: e.LOCAL_STORAGE_PATH ?? `${e.DATA_DIR}/objects` };
  const publicHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST;
  const claims = {
    ...(e.DOCSTORE_JWT_ISSUER === undefined ? {} : { issuer: e.DOCSTORE_JWT_ISSUER }),
    ...(e.DOCSTORE_JWT_AUDIENCE === undefined ? {} : { audience: e.DOCSTORE_JWT_AUDIENCE }),
  };
  const jwt: JwtSettings =
    e.DOCSTORE_JWT_JWKS_URL !== undefined
      ? { kind: 'jwks', url: e.DOCSTORE_JWT_JWKS_URL, ...claims }
      : e.DOCSTORE_JWT_PUBLIC_KEY !== undefined
        ? { kind: 'public-key', pem: e.DOCSTORE_JWT_PUBLIC_KEY, algorithm: e.DOCSTORE_JWT_ALGORITHM, ...claims }
        : { kind: 'secret', ...(e.DOCSTORE_JWT_SECRET === undefined ? {} : { secret: Buffer.from(e.DOCSTORE_JWT_SECRET, 'utf8') }), ...claims };
  return {
    storage,
    database:
      e.DATABASE_URL === undefined
        ? { dialect: 'sqlite', path: `${e.DATA_DIR}/docstore.sqlite` }
        : {
            dialect: 'postgres',
            url: e.DATABASE_URL,
            timeouts: { connectSeconds: e.DATABASE_CONNECT_TIMEOUT_SECONDS, statementSeconds: e.DATABASE_STATEMENT_TIMEOUT_SECONDS },
          },
    healthCheckTimeoutSeconds: e.HEALTH_CHECK_TIMEOUT_SECONDS,
    jwt,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    trashDays: e.DOCSTORE_TRASH_DAYS,
    retention: e.DOCSTORE_RETENTION ?? {},
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
    ...(e.DOCSTORE_MASTER_KEYS === undefined ? {} : { encryption: { ...e.DOCSTORE_MASTER_KEYS, allowPlaintext: e.DOCSTORE_ALLOW_PLAINTEXT_OBJECTS } }),
  };
}

function serverSideEncryptionOf(e: z.infer<typeof environmentSchema>): { serverSideEncryption?: S3ServerSideEncryption } {
  if (e.S3_SSE_C_KEY !== undefined) return { serverSideEncryption: { mode: 'SSE-C', customerKey: e.S3_SSE_C_KEY } };
  if (e.S3_SSE === 'aws:kms') return { serverSideEncryption: { mode: 'aws:kms', kmsKeyId: e.S3_SSE_KMS_KEY_ID as string } };
  return e.S3_SSE === 'AES256' ? { serverSideEncryption: { mode: 'AES256' } } : {};
}

/** Server-side encryption settings that contradict each other. */
function serverSideEncryptionIssues(e: z.infer<typeof environmentSchema>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (e.S3_SSE === 'aws:kms' && e.S3_SSE_KMS_KEY_ID === undefined) {
    issues.push({ variable: 'S3_SSE_KMS_KEY_ID', message: 'is required when S3_SSE=aws:kms' });
  }
  if (e.S3_SSE !== 'aws:kms' && e.S3_SSE_KMS_KEY_ID !== undefined) {
    issues.push({ variable: 'S3_SSE_KMS_KEY_ID', message: 'applies only with S3_SSE=aws:kms' });
  }
  if (e.S3_SSE_C_KEY !== undefined && e.S3_SSE !== 'none') {
    issues.push({ variable: 'S3_SSE_C_KEY', message: `cannot be combined with S3_SSE=${e.S3_SSE}: SSE-C is a server-side encryption of its own` });
  }
  return issues;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Settings that are tolerable in development and refused in production. */
function productionIssues(e: z.infer<typeof environmentSchema>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (e.STORAGE_BACKEND === 's3') {
    if (e.S3_SECRET_KEY !== undefined && e.S3_SECRET_KEY.length < 20) {
      issues.push({ variable: 'S3_SECRET_KEY', message: 'is shorter than 20 characters (NODE_ENV=production)' });
    }
    if (e.S3_ACCESS_KEY === 'minioadmin' || e.S3_SECRET_KEY === 'minioadmin') {
      issues.push({ variable: e.S3_ACCESS_KEY === 'minioadmin' ? 'S3_ACCESS_KEY' : 'S3_SECRET_KEY', message: "is MinIO's default root credential: create a dedicated user (NODE_ENV=production)" });
    }
  }
  if (e.DOCSTORE_JWT_SECRET !== undefined && Buffer.byteLength(e.DOCSTORE_JWT_SECRET) < 32) {
    issues.push({ variable: 'DOCSTORE_JWT_SECRET', message: 'is shorter than 32 bytes (NODE_ENV=production)' });
  }
  if (!LOOPBACK.has(e.METRICS_HOST) && e.METRICS_TOKEN === undefined) {
    issues.push({ variable: 'METRICS_TOKEN', message: `is required when METRICS_HOST (${e.METRICS_HOST}) is not a loopback address (NODE_ENV=production)` });
  }
  return issues;
}

/** The configuration with secrets masked, for logs and `docstore config`. */
export function describeConfig(config: DocstoreConfig): Record<string, unknown> {
  const storage =
    config.storage.backend === 's3'
      ? {
          ...config.storage,
          accessKeyId: mask(config.storage.accessKeyId),
          secretAccessKey: '***',
          ...(config.storage.serverSideEncryption?.mode === 'SSE-C' ? { serverSideEncryption: { mode: 'SSE-C', customerKey: '***' } } : {}),
        }
      : config.storage;
  const encryption =
    config.encryption === undefined
      ? {}
      : { encryption: { activeKeyId: config.encryption.activeId, keyIds: config.encryption.keys.map((key) => key.id), allowPlaintext: config.encryption.allowPlaintext } };
  const database = config.database.dialect === 'postgres' ? { ...config.database, url: maskUrl(config.database.url) } : config.database;
  const jwt = config.jwt.kind === 'secret' ? { ...config.jwt, ...(config.jwt.secret === undefined ? {} : { secret: '***' }) } : config.jwt;
  const metrics = config.metrics.token === undefined ? config.metrics : { ...config.metrics, token: '***' };
  const backup = config.backup.passphrase === undefined ? config.backup : { ...config.backup, passphrase: '***' };
  return { ...config, storage, database, jwt, metrics, backup, ...(config.signingSecret === undefined ? {} : { signingSecret: '***' }), ...encryption };
}

function maskUrl(value: string): string {
  const url = new URL(value);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

function mask(value: string): string {
  return value.length <= 4 ? '***' : `${value.slice(0, 4)}***`;
}

const remoteSchema = z.object({
  ENDPOINT: httpUrl.optional(),
  REGION: z.string().min(1).default('us-east-1'),
  ACCESS_KEY: z.string({ error: 'is required' }).min(1),
  SECRET_KEY: z.string({ error: 'is required' }).min(1),
  PATH_STYLE: booleanFlag.default(false),
});

/** S3 settings of a named remote (for `mirror` and `verify` locations `s3://NAME@bucket/prefix`). */
export interface RemoteSettings {
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

/**
 * Reads the remote `name` from `DOCSTORE_REMOTE_<NAME>_ENDPOINT`, `_REGION`, `_ACCESS_KEY`,
 * `_SECRET_KEY` and `_PATH_STYLE` (NAME upper-cased, `-` as `_`), so that secrets never appear on
 * the command line. Invalid or missing values raise `ConfigError` naming each variable.
 */
export function loadRemote(name: string, env: Record<string, string | undefined> = process.env): RemoteSettings {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) {
    throw new ConfigError([{ variable: `remote ${JSON.stringify(name)}`, message: 'use letters, digits, "-" and "_"' }]);
  }
  const prefix = `DOCSTORE_REMOTE_${name.toUpperCase().replace(/-/g, '_')}_`;
  const values = Object.fromEntries(
    Object.entries(env)
      .filter(([key, value]) => key.startsWith(prefix) && value !== undefined && value !== '')
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
  const parsed = remoteSchema.safeParse(values);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => ({ variable: `${prefix}${String(issue.path[0] ?? '')}`, message: issue.message })));
  }
  return {
    ...(parsed.data.ENDPOINT === undefined ? {} : { endpoint: parsed.data.ENDPOINT }),
    region: parsed.data.REGION,
    accessKeyId: parsed.data.ACCESS_KEY,
    secretAccessKey: parsed.data.SECRET_KEY,
    forcePathStyle: parsed.data.PATH_STYLE,
  };
}
