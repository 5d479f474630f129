import { join } from 'node:path';
import { FinishedUploadFileStore } from './stores/finished-upload-file-store.js';
import { UPLOADS_PREFIX } from './resumable-upload-keys.js';
import { PostgresUploadLocker } from './stores/postgres-upload-locker.js';
import { ResumableUploadCompletions } from './resumable-upload-completions.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import type { Kysely } from 'kysely';
import type { Database, DatabaseConfig } from '../db/database.js';
import type { DocumentService } from '../documents/document-service.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import type { EncryptionConfig, StorageConfig } from '../storage/storage-config.js';
import { ResumableUploads, type ReadableDataStore, type ResumableUploadOutcome } from './resumable-uploads.js';

export interface ResumableUploadsConfig {
  /** The data directory: where the storage cannot hold unfinished uploads (S3 with encryption or a lock), their parts live in its `uploads/` folder. */
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
 * Wires the resumable uploads on their store, inside the documents' storage where it can: on S3, a
 * multipart upload in the documents' bucket under `{S3_KEY_PREFIX}tus-uploads/` (`@tus/s3-store`:
 * any instance can resume it); on the local backend, files in the storage's own directory under
 * `tus-uploads/` (`@tus/file-store`; no listing shows them). There, a finished upload is foreign
 * content of the storage at `tus-uploads/{id}`, which becomes the document's object without being
 * written again (`ObjectStorage.adopt`). Under client-side encryption (local or S3), and on S3 with
 * Object Lock or server-side encryption (whose rules tus's own writes would not follow), parts live on local disk in `DATA_DIR/uploads` and the finished upload
 * is streamed into the storage. The S3 store (and with it the AWS SDK) is loaded only when used:
 * the embedded default never loads it.
 */
export async function createResumableUploads(
  config: ResumableUploadsConfig,
  core: { db: Kysely<Database>; documents: DocumentService; idempotency: IdempotencyStore; storage: ObjectStorage },
  onOutcome?: (outcome: ResumableUploadOutcome) => void,
  onRemovalError?: (error: unknown, id: string) => void,
): Promise<ResumableUploads> {
  const expirationPeriodInMilliseconds = config.resumableUploadExpirySeconds * 1000;
  const storage = config.storage;
  let datastore: ReadableDataStore;
  let idPrefix = '';
  if (storage.backend === 's3' && storage.objectLock === undefined && storage.serverSideEncryption === undefined && config.encryption === undefined) {
    idPrefix = `${storage.keyPrefix}${UPLOADS_PREFIX}`;
    const { FinishedUploadS3Store } = await import('./stores/finished-upload-s3-store.js');
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
  } else if (storage.backend === 'local' && config.encryption === undefined) {
    // Under client-side encryption the objects directory is what the provider sees: an unfinished
    // upload's parts and its metadata (file name, title) are plaintext, so they stay in DATA_DIR.
    datastore = new FinishedUploadFileStore({ directory: join(storage.path, UPLOADS_PREFIX), expirationPeriodInMilliseconds });
  } else {
    datastore = new FinishedUploadFileStore({ directory: join(config.dataDir, 'uploads'), expirationPeriodInMilliseconds });
  }
  const inStorage = idPrefix !== '' || (storage.backend === 'local' && config.encryption === undefined);
  const foreignKeyOf = inStorage && core.storage.capabilities.adoptsForeignContent ? (id: string) => `${UPLOADS_PREFIX}${id}` : undefined;
  return new ResumableUploads({
    db: core.db,
    documents: core.documents,
    completions: new ResumableUploadCompletions(core.db, core.idempotency),
    datastore,
    idPrefix,
    corsOrigins: config.corsOrigins,
    ...(config.database.dialect === 'postgres' ? { locker: new PostgresUploadLocker(config.database.url) } : {}),
    maxUploadBytes: config.maxUploadBytes,
    ...(onOutcome === undefined ? {} : { onOutcome }),
    ...(onRemovalError === undefined ? {} : { onRemovalError }),
    ...(foreignKeyOf === undefined ? {} : { foreignKeyOf }),
  });
}
