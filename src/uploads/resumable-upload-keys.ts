import { INTERNAL_PREFIXES } from '../storage/internal-keys.js';

/**
 * Where unfinished resumable uploads live in the documents' storage (after `S3_KEY_PREFIX`), beside
 * the documents' keys (`{organisation}/…`): on S3 as objects and multipart uploads, on the local
 * backend as plain files in that folder of the storage's directory. `docstore reconcile`, backup
 * and mirror leave them alone (they expire on their own).
 */
export const UPLOADS_PREFIX = INTERNAL_PREFIXES.resumableUploads;
