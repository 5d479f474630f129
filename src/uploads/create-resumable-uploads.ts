import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { S3_UPLOADS_PREFIX } from './resumable-upload-keys.js';
import { PostgresUploadLocker } from './postgres-upload-locker.js';
import { ResumableUploadCompletions } from './resumable-upload-completions.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import type { Kysely } from 'kysely';
import type { Database, DatabaseConfig } from '../db/database.js';
import type { DocumentService } from '../documents/document-service.js';
import type { EncryptionConfig, StorageConfig } from '../storage/storage-config.js';
import { ResumableUploads, type ReadableDataStore, type ResumableUploadOutcome } from './resumable-uploads.js';

export interface ResumableUploadsConfig {
  /** The data directory: on the local backend, unfinished uploads' parts live in its `uploads/` folder. */
  dataDir: string;
  storage: StorageConfig;
  encryption?: EncryptionConfig;
  maxUploadBytes: number;
  /** An unfinished upload expires this long after its creation. */
  resumableUploadExpirySeconds: number;
  /** Origins whose pages may call the endpoint (CORS). */
  corsOrigins: readonly string[];
  /** On PostgreSQL, uploads are locked there (advisory locks), so that instances keep each other out. */
  database: DatabaseConfig;
}


/**
 * Wires the resumable uploads on their store: on S3, a multipart upload in the documents' bucket
 * under `{S3_KEY_PREFIX}tus-uploads/` (`@tus/s3-store`: any instance can resume it); elsewhere, and
 * on S3 with Object Lock, server-side or client-side encryption (whose rules tus's own writes would
 * not follow), on local disk in `DATA_DIR/uploads` (`@tus/file-store`). The S3 store (and with it
 * the AWS SDK) is loaded only when used: the embedded default never loads it.
 */
export async function createResumableUploads(
  config: ResumableUploadsConfig,
  core: { db: Kysely<Database>; documents: DocumentService; idempotency: IdempotencyStore },
  onOutcome?: (outcome: ResumableUploadOutcome) => void,
  onRemovalError?: (error: unknown, id: string) => void,
): Promise<ResumableUploads> {
  const expirationPeriodInMilliseconds = config.resumableUploadExpirySeconds * 1000;
  const storage = config.storage;
  let datastore: ReadableDataStore;
  let idPrefix = '';
  if (storage.backend === 's3' && storage.objectLock === undefined && storage.serverSideEncryption === undefined && config.encryption === undefined) {
    idPrefix = `${storage.keyPrefix}${S3_UPLOADS_PREFIX}`;
    const { FinishedUploadS3Store } = await import('./finished-upload-s3-store.js');
    datastore = new FinishedUploadS3Store(
      {
        expirationPeriodInMilliseconds,
        s3ClientConfig: {
          bucket: storage.bucket,
          region: storage.region,
          ...(storage.endpoint === undefined ? {} : { endpoint: storage.endpoint }),
          forcePathStyle: storage.forcePathStyle,
          // As docstore's own client (s3-client.ts): newer SDK checksum defaults break non-AWS servers (RGW: MissingContentLength).
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          credentials: { accessKeyId: storage.accessKeyId, secretAccessKey: storage.secretAccessKey },
        },
      },
      idPrefix,
    );
  } else {
    datastore = new FileStore({ directory: join(config.dataDir, 'uploads'), expirationPeriodInMilliseconds });
  }
  return new ResumableUploads({ db: core.db, documents: core.documents, completions: new ResumableUploadCompletions(core.db, core.idempotency), datastore, idPrefix, corsOrigins: config.corsOrigins, ...(config.database.dialect === 'postgres' ? { locker: new PostgresUploadLocker(config.database.url) } : {}), maxUploadBytes: config.maxUploadBytes, ...(onOutcome === undefined ? {} : { onOutcome }), ...(onRemovalError === undefined ? {} : { onRemovalError }) });
}
