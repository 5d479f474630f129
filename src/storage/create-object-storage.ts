import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DocstoreMetrics } from '../metrics/docstore-metrics.js';
import { EncryptingObjectStorage } from './encryption/encrypting-object-storage.js';
import { LocalObjectStorage } from './local/local-object-storage.js';
import { MasterKeyring } from './encryption/master-keyring.js';
import { FaultInjectingObjectStorage, type FaultPlan } from './decorators/fault-injecting-object-storage.js';
import { MetricsObjectStorage } from './decorators/metrics-object-storage.js';
import { ObjectLinkSigner, loadOrCreateSigningSecret } from './object-link-signer.js';
import type { ObjectStorage } from './object-storage.js';
import type { EncryptionConfig, StorageConfig } from './storage-config.js';
import { hasStorageCode } from './storage-errors.js';

/** Path under the public base URL where the HTTP layer serves the links docstore signs (`ObjectLinkSigner`). */
export const LOCAL_SIGNED_LINK_PATH = '/api/v1/signed';

export interface StorageWiring {
  /** Base URL of the HTTP API, for the links docstore signs. */
  publicBaseUrl: string;
  /** Secret for the links docstore signs; read or created under `dataDir` when absent. */
  signingSecret?: Buffer;
  dataDir: string;
  now?: () => Date;
  /** When given, the storage is measured (`MetricsObjectStorage`, outermost). */
  metrics?: DocstoreMetrics;
  /** When given, every object is encrypted client-side (`EncryptingObjectStorage`, inside metrics). */
  encryption?: EncryptionConfig;
  /**
   * Build a storage that is only read (a dry run): nothing is created or cleaned, neither the local
   * root, its temporary folder, a signing secret nor a bucket; `prepare` only checks that the
   * bucket answers. Presigned links are then unavailable. @default false
   */
  readOnly?: boolean;
  /**
   * What the storage is for. `service`: docstore's own storage, which signs the links it serves and
   * whose `prepare` creates a missing bucket (when configured to) and removes what interrupted
   * writes left. `location`: a place `mirror`, `verify` or `backup` reads or writes: no link signer
   * (no signing secret is read or created), and `prepare` only checks that an S3 bucket answers
   * (a local root is created by opening it, unless `readOnly`). @default 'service'
   */
  purpose?: 'service' | 'location';
  /**
   * Tests only: failures to inject (`FaultInjectingObjectStorage`, innermost, so that the other
   * decorators see them as the backend's).
   */
  faults?: FaultPlan;
}

export interface CreatedStorage {
  storage: ObjectStorage;
  /**
   * Signs and verifies the links docstore serves itself: docstore's own storage always has one
   * (documents' download links are served by docstore, so that each use is recorded; the local
   * backend's, client-side encryption's and SSE-C links too); none for a read-only storage or a location.
   */
  signer?: ObjectLinkSigner;
  /** The encryption decorator, for key management (`docstore keys`), when encryption is on. */
  encryption?: EncryptingObjectStorage;
  /** Makes sure the storage is usable: creates a missing bucket when configured to, then checks. */
  prepare(): Promise<void>;
  /** Releases what the storage holds open (the S3 clients' connections); the storage is then unusable. */
  close(): Promise<void>;
}

/** What `storageWiringOf` reads of docstore's configuration. */
export interface StorageWiringSettings {
  http: { publicBaseUrl: string };
  dataDir: string;
  signingSecret?: Buffer;
  encryption?: EncryptionConfig;
}

/** The wiring the service, the CLI and mirror locations derive from one configuration. */
export function storageWiringOf(config: StorageWiringSettings): StorageWiring {
  return {
    publicBaseUrl: config.http.publicBaseUrl,
    dataDir: config.dataDir,
    ...(config.signingSecret === undefined ? {} : { signingSecret: config.signingSecret }),
    ...(config.encryption === undefined ? {} : { encryption: config.encryption }),
  };
}

/**
 * The one place that knows the adapters: builds the configured storage, docstore's own or a
 * location of `mirror`, `verify` and `backup` (see `StorageWiring.purpose`). Decorators are added
 * around it here too, in a fixed order, innermost first: fault injection (tests), encryption,
 * metrics.
 */
export async function createObjectStorage(config: StorageConfig, wiring: StorageWiring): Promise<CreatedStorage> {
  const created = encrypted(withFaults(await createAdapter(config, wiring), wiring), wiring);
  const { metrics } = wiring;
  if (metrics === undefined) return created;
  if (config.backend === 'local') {
    metrics.onCollect(async () => {
      const stats = await statfs(config.path);
      metrics.localStorageFreeBytes.set(stats.bavail * stats.bsize);
      metrics.localStorageSizeBytes.set(stats.blocks * stats.bsize);
    });
  }
  // Decorators wrap in this order, innermost first: encryption, then metrics (which so counts plaintext bytes).
  const storage = new MetricsObjectStorage(created.storage, metrics);
  return {
    ...created,
    storage,
    prepare: async () => {
      // prepare() already checked the storage: record it rather than check twice at start-up.
      await created.prepare();
      metrics.storageUp.set({ backend: storage.name }, 1);
    },
  };
}

/** Wraps the adapter in the fault-injection decorator when a test asks for it. */
function withFaults(created: CreatedStorage, wiring: StorageWiring): CreatedStorage {
  if (wiring.faults === undefined) return created;
  return { ...created, storage: new FaultInjectingObjectStorage(created.storage, wiring.faults) };
}

/** Wraps the adapter in the encryption decorator when master keys are configured. */
function encrypted(created: CreatedStorage, wiring: StorageWiring): CreatedStorage {
  if (wiring.encryption === undefined) return created;
  const keyring = new MasterKeyring(wiring.encryption.keys, wiring.encryption.activeId);
  const storage = new EncryptingObjectStorage(created.storage, keyring, {
    allowPlaintext: wiring.encryption.allowPlaintext,
    ...(created.signer === undefined ? {} : { signer: created.signer }),
  });
  return { ...created, storage, encryption: storage };
}

async function docstoreSigner(wiring: StorageWiring): Promise<ObjectLinkSigner> {
  const secret = wiring.signingSecret ?? (await loadOrCreateSigningSecret(join(wiring.dataDir, 'signing-secret')));
  return new ObjectLinkSigner(secret, `${wiring.publicBaseUrl}${LOCAL_SIGNED_LINK_PATH}`, wiring.now);
}

async function createAdapter(config: StorageConfig, wiring: StorageWiring): Promise<CreatedStorage> {
  const location = wiring.purpose === 'location';
  if (config.backend === 'local') {
    const close = async () => {};
    if (wiring.readOnly === true || location) {
      const storage = await LocalObjectStorage.open({ root: config.path, create: wiring.readOnly !== true });
      return { storage, prepare: async () => {}, close };
    }
    const signer = await docstoreSigner(wiring);
    const storage = await LocalObjectStorage.open({ root: config.path, signer });
    return { storage, signer, prepare: () => storage.check(), close };
  }
  // The S3 adapter and the AWS SDK load only when S3 is configured (the embedded default starts without them).
  const [{ createS3Client }, { S3ObjectStorage }] = await Promise.all([import('./s3/s3-client.js'), import('./s3/s3-object-storage.js')]);
  const clientOptions = {
    region: config.region,
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    forcePathStyle: config.forcePathStyle,
    // AWS refuses a write with Object Lock headers without a checksum of its body.
    contentMd5OnUploads: config.objectLock !== undefined,
    ...(config.connectTimeoutSeconds === undefined ? {} : { connectionTimeoutMs: config.connectTimeoutSeconds * 1000 }),
    ...(config.idleTimeoutSeconds === undefined ? {} : { socketTimeoutMs: config.idleTimeoutSeconds * 1000 }),
  };
  const client = createS3Client({ ...clientOptions, ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }) });
  const publicEndpoint = config.publicEndpoint ?? config.endpoint;
  const presignClient =
    config.publicEndpoint === undefined
      ? client
      : createS3Client({ ...clientOptions, ...(publicEndpoint === undefined ? {} : { endpoint: publicEndpoint }) });
  const serverSideEncryption = config.serverSideEncryption ?? { mode: 'none' };
  // Links docstore serves itself: decrypted ones, SSE-C ones (a URL cannot carry the key), uploads under SSE,
  // and documents' download links (the documents service signs them, so that each use is recorded):
  // docstore's own storage always has a signer.
  const signsLinks = wiring.readOnly !== true && !location;
  const signer = signsLinks ? await docstoreSigner(wiring) : undefined;
  const storage = new S3ObjectStorage({
    client,
    presignClient,
    bucket: config.bucket,
    keyPrefix: config.keyPrefix,
    endpointLabel: config.endpoint ?? `aws:${config.region}`,
    serverSideEncryption,
    ...(signer === undefined ? {} : { signer }),
    ...(config.objectLock === undefined ? {} : { objectLock: config.objectLock }),
  });
  return {
    storage,
    ...(signer === undefined ? {} : { signer }),
    prepare: async () => {
      if (wiring.readOnly === true || location) {
        await storage.check();
        // A location with Object Lock (DOCSTORE_REMOTE_<NAME>_OBJECT_LOCK) is checked as docstore's own bucket is.
        return storage.verifyObjectLock();
      }
      try {
        await storage.check();
      } catch (error) {
        if (!config.createBucket || !hasStorageCode(error, 'storage.bucket_not_found')) throw error;
        await createPrivateBucket(client, config);
        await storage.check();
      }
      // Before anything is written: a bucket without Object Lock would take unlocked objects.
      await storage.verifyObjectLock();
      await storage.removeStaleUploads();
      await storage.verifyServerSideEncryption();
    },
    close: async () => {
      client.destroy();
      if (presignClient !== client) presignClient.destroy();
    },
  };
}

async function createPrivateBucket(client: S3Client, config: Extract<StorageConfig, { backend: 's3' }>): Promise<void> {
  const [{ CreateBucketCommand }, { translateS3Error }] = await Promise.all([import('@aws-sdk/client-s3'), import('./s3/s3-error-translation.js')]);
  try {
    // No ACL: a new bucket is private. Object Lock can only be enabled when a bucket is created (with versioning).
    await client.send(new CreateBucketCommand({ Bucket: config.bucket, ...(config.objectLock === undefined ? {} : { ObjectLockEnabledForBucket: true }) }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'BucketAlreadyOwnedByYou') return;
    throw translateS3Error(error, { operation: 'createBucket', bucket: config.bucket, endpoint: config.endpoint ?? 'aws' });
  }
}
