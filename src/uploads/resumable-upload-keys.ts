import { INTERNAL_PREFIXES } from '../storage/internal-keys.js';

/**
 * Where unfinished resumable uploads live in the documents' bucket on S3 (after `S3_KEY_PREFIX`),
 * beside the documents' keys (`{organisation}/…`): `docstore reconcile` leaves them alone (they
 * expire on their own).
 */
export const S3_UPLOADS_PREFIX = INTERNAL_PREFIXES.resumableUploads;
