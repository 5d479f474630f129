import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { DocumentService } from '../documents/document-service.js';
import { ResumableUploads, type ResumableUploadOutcome } from './resumable-uploads.js';

export interface ResumableUploadsConfig {
  /** The data directory: unfinished uploads' parts live in its `uploads/` folder. */
  dataDir: string;
  maxUploadBytes: number;
  /** An unfinished upload expires this long after its creation. */
  resumableUploadExpirySeconds: number;
}

/** Wires the resumable uploads on their store (local disk under the data directory). */
export function createResumableUploads(
  config: ResumableUploadsConfig,
  core: { db: Kysely<Database>; documents: DocumentService },
  onOutcome?: (outcome: ResumableUploadOutcome) => void,
): ResumableUploads {
  const datastore = new FileStore({ directory: join(config.dataDir, 'uploads'), expirationPeriodInMilliseconds: config.resumableUploadExpirySeconds * 1000 });
  return new ResumableUploads({ db: core.db, documents: core.documents, datastore, maxUploadBytes: config.maxUploadBytes, ...(onOutcome === undefined ? {} : { onOutcome }) });
}
