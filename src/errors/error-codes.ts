import { AUDIT_ERROR_CODES } from '../audit/audit-errors.js';
import { AUTH_ERROR_CODES } from '../auth/auth-errors.js';
import { BACKUP_ERROR_CODES } from '../backup/backup-errors.js';
import { BUILDING_ERROR_CODES } from '../buildings/building-errors.js';
import { CONFIG_ERROR_CODES } from '../config-error.js';
import { DATABASE_ERROR_CODES } from '../db/database-errors.js';
import { EVENTS_ERROR_CODES } from '../events/events-errors.js';
import { DOCUMENT_ERROR_CODES } from '../documents/document-errors.js';
import { HANDOVER_ERROR_CODES } from '../handover/handover-errors.js';
import { RETENTION_ERROR_CODES } from '../documents/retention/retention-errors.js';
import { REQUEST_ERROR_CODES } from '../http/request-errors.js';
import { LISTEN_ERROR_CODES } from '../http/listen-error.js';
import { IDEMPOTENCY_ERROR_CODES } from '../idempotency/idempotency-errors.js';
import { STORAGE_ERROR_CODES } from '../storage/storage-errors.js';
import { SEARCH_ERROR_CODES } from '../search/search-errors.js';
import { SYNC_ERROR_CODES } from '../sync/sync-errors.js';

/**
 * The registry of stable error codes: each module's `as const` list, by module. A new module's
 * list is added here; `ErrorCode` then includes its codes, and the HTTP status table
 * (`src/http/problem-details.ts`) does not compile until each one has a status.
 */
export const ERROR_CODES_BY_MODULE = {
  auth: AUTH_ERROR_CODES,
  documents: DOCUMENT_ERROR_CODES,
  retention: RETENTION_ERROR_CODES,
  buildings: BUILDING_ERROR_CODES,
  storage: STORAGE_ERROR_CODES,
  database: DATABASE_ERROR_CODES,
  idempotency: IDEMPOTENCY_ERROR_CODES,
  request: REQUEST_ERROR_CODES,
  listen: LISTEN_ERROR_CODES,
  config: CONFIG_ERROR_CODES,
  backup: BACKUP_ERROR_CODES,
  sync: SYNC_ERROR_CODES,
  handover: HANDOVER_ERROR_CODES,
  search: SEARCH_ERROR_CODES,
  audit: AUDIT_ERROR_CODES,
  events: EVENTS_ERROR_CODES,
} as const;

/** Every stable code any part of docstore raises. */
export type ErrorCode = (typeof ERROR_CODES_BY_MODULE)[keyof typeof ERROR_CODES_BY_MODULE][number];

/** Every code of the registry, in module order (a test checks that no code appears twice). */
export const ERROR_CODES: readonly ErrorCode[] = Object.values(ERROR_CODES_BY_MODULE).flat();
