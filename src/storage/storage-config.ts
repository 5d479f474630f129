import type { MasterKey } from './encryption/master-keyring.js';
import type { ObjectLockMode } from './object-storage.js';
import type { S3ServerSideEncryption } from './s3/s3-server-side-encryption.js';

/** The local adapter's settings (`STORAGE_BACKEND=local`). */
export interface LocalStorageConfig {
  backend: 'local';
  /** Directory of the objects. */
  path: string;
}

/** The S3 adapter's settings (`STORAGE_BACKEND=s3`). */
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

/** Which adapter `createObjectStorage` builds, and with what. */
export type StorageConfig = LocalStorageConfig | S3StorageConfig;

/** `DOCSTORE_MASTER_KEYS`: client-side encryption of every object, whatever the backend. */
export interface EncryptionConfig {
  keys: MasterKey[];
  /** The key that wraps the data keys of new objects. */
  activeId: string;
  /** `DOCSTORE_ALLOW_PLAINTEXT_OBJECTS`: objects written before encryption stay readable. @default true */
  allowPlaintext: boolean;
}
