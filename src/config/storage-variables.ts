import { z } from 'zod';
import type { ConfigIssue } from '../config-error.js';
import { MasterKeysSyntaxError, parseMasterKeys } from '../storage/encryption/master-keyring.js';
import { normalizePrefix } from '../storage/object-key.js';
import type { S3ServerSideEncryption } from '../storage/s3/s3-server-side-encryption.js';
import type { EncryptionConfig, StorageConfig } from '../storage/storage-config.js';
import { InvalidKey } from '../storage/storage-errors.js';
import { booleanFlag, httpUrl, parsedText, seconds } from './env-values.js';

function isValidPrefix(value: string): boolean {
  try {
    normalizePrefix(value);
    return true;
  } catch (error) {
    if (error instanceof InvalidKey) return false;
    throw error;
  }
}

/** The storage's variables: the backend, the local directory, S3 and client-side encryption. */
export const storageVariables = {
  STORAGE_BACKEND: z.enum(['local', 's3'], { error: 'must be "local" or "s3"' }).default('local'),
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
  DOCSTORE_MASTER_KEYS: parsedText(parseMasterKeys, (error) => error instanceof MasterKeysSyntaxError).optional(),
  DOCSTORE_ALLOW_PLAINTEXT_OBJECTS: booleanFlag.default(true),
};

const storageSchema = z.object(storageVariables);

/** The storage's variables, validated. */
export type StorageVariables = z.output<typeof storageSchema>;

/** Variables required by the S3 backend; checked even when other variables are invalid. */
const S3_REQUIRED = ['S3_BUCKET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const;

/**
 * What the schema alone cannot say: S3's required variables (from the raw values, so that they are
 * reported with any other invalid variable), then, once every variable is valid, settings that
 * contradict each other.
 */
export function storageIssues(relevant: Record<string, string | undefined>, valid: StorageVariables | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (relevant.STORAGE_BACKEND === 's3') {
    for (const variable of S3_REQUIRED) {
      if (relevant[variable] === undefined) issues.push({ variable, message: 'is required when STORAGE_BACKEND=s3' });
    }
  }
  if (valid === undefined) return issues;
  if (valid.S3_SSE === 'aws:kms' && valid.S3_SSE_KMS_KEY_ID === undefined) {
    issues.push({ variable: 'S3_SSE_KMS_KEY_ID', message: 'is required when S3_SSE=aws:kms' });
  }
  if (valid.S3_SSE !== 'aws:kms' && valid.S3_SSE_KMS_KEY_ID !== undefined) {
    issues.push({ variable: 'S3_SSE_KMS_KEY_ID', message: 'applies only with S3_SSE=aws:kms' });
  }
  if (valid.S3_SSE_C_KEY !== undefined && valid.S3_SSE !== 'none') {
    issues.push({ variable: 'S3_SSE_C_KEY', message: `cannot be combined with S3_SSE=${valid.S3_SSE}: SSE-C is a server-side encryption of its own` });
  }
  if (valid.S3_OBJECT_LOCK !== 'off' && valid.STORAGE_BACKEND !== 's3') {
    issues.push({ variable: 'S3_OBJECT_LOCK', message: 'applies only with STORAGE_BACKEND=s3: a local disk cannot lock files (see docs/retention.md)' });
  }
  return issues;
}

/** Storage settings tolerable in development and refused in production. */
export function storageProductionIssues(e: StorageVariables): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (e.STORAGE_BACKEND !== 's3') return issues;
  if (e.S3_SECRET_KEY !== undefined && e.S3_SECRET_KEY.length < 20) {
    issues.push({ variable: 'S3_SECRET_KEY', message: 'is shorter than 20 characters (NODE_ENV=production)' });
  }
  if (e.S3_ACCESS_KEY === 'minioadmin' || e.S3_SECRET_KEY === 'minioadmin') {
    issues.push({ variable: e.S3_ACCESS_KEY === 'minioadmin' ? 'S3_ACCESS_KEY' : 'S3_SECRET_KEY', message: "is MinIO's default root credential: create a dedicated user (NODE_ENV=production)" });
  }
  return issues;
}

/** The configured storage (checked by `storageIssues`); local objects default to `$DATA_DIR/objects`. */
export function storageConfigOf(e: StorageVariables, dataDir: string): StorageConfig {
  if (e.STORAGE_BACKEND !== 's3') return { backend: 'local', path: e.LOCAL_STORAGE_PATH ?? `${dataDir}/objects` };
  return {
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
  };
}

/** Client-side encryption, when master keys are configured. */
export function encryptionConfigOf(e: StorageVariables): EncryptionConfig | undefined {
  return e.DOCSTORE_MASTER_KEYS === undefined ? undefined : { ...e.DOCSTORE_MASTER_KEYS, allowPlaintext: e.DOCSTORE_ALLOW_PLAINTEXT_OBJECTS };
}

function serverSideEncryptionOf(e: StorageVariables): { serverSideEncryption?: S3ServerSideEncryption } {
  if (e.S3_SSE_C_KEY !== undefined) return { serverSideEncryption: { mode: 'SSE-C', customerKey: e.S3_SSE_C_KEY } };
  if (e.S3_SSE === 'aws:kms') return { serverSideEncryption: { mode: 'aws:kms', kmsKeyId: e.S3_SSE_KMS_KEY_ID as string } };
  return e.S3_SSE === 'AES256' ? { serverSideEncryption: { mode: 'AES256' } } : {};
}
