import { DatabaseUnavailable } from '../db/database-errors.js';
import { isDocstoreError } from '../errors/docstore-error.js';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes.js';
import { isRetentionError } from '../documents/retention/retention-errors.js';
import { isStorageError } from '../storage/storage-errors.js';

/**
 * The HTTP status of every stable error code. `satisfies` makes a code of the registry without a
 * status a compile error. Codes of the CLI and of start-up (configuration, listeners, migrations,
 * backup, mirror) are never answered over HTTP: they map to 500, so that one reaching a request
 * anyway is an internal error that shows no internals.
 */
export const STATUS_BY_CODE = {
  'auth.missing_token': 401,
  'auth.invalid_token': 401,
  'auth.forbidden': 403,
  'documents.not_found': 404,
  'documents.invalid_input': 400,
  'documents.invalid_cursor': 400,
  'upload.not_multipart': 415,
  'upload.no_file': 400,
  'upload.multiple_files': 400,
  'upload.empty_file': 400,
  'upload.too_large': 413,
  'upload.unsupported_content': 415,
  'upload.aborted': 400,
  'upload.too_many_in_flight': 429,
  'upload.checksum_mismatch': 422,
  // The tus checksum extension's own status for a chunk that does not match.
  'upload.chunk_checksum_mismatch': 460,
  'upload.checksum_unsupported': 400,
  'upload.not_found': 404,
  'upload.offset_conflict': 409,
  'upload.expired': 410,
  'upload.protocol': 400,
  'content.range_not_satisfiable': 416,
  'document.retention_active': 409,
  'document.legal_hold_active': 409,
  'document.version_not_found': 404,
  'document.version_conflict': 409,
  'building.not_found': 404,
  'building.already_exists': 409,
  'building.invalid_input': 400,
  'building.invalid_cursor': 400,
  'storage.not_found': 404,
  'storage.invalid_key': 400,
  'storage.invalid_range': 416,
  'storage.invalid_argument': 400,
  'storage.precondition_failed': 409,
  'storage.integrity': 500,
  'storage.key_unavailable': 500,
  'storage.permission_denied': 500,
  'storage.invalid_credentials': 500,
  'storage.bucket_not_found': 500,
  'storage.unavailable': 503,
  'storage.aborted': 400,
  'storage.presign_invalid': 403,
  'storage.presign_expired': 403,
  'storage.operation_failed': 500,
  'storage.object_locked': 409,
  'storage.object_lock_unsupported': 500,
  'storage.adoption_unsupported': 500,
  'storage.object_lock_not_enabled': 500,
  'database.unavailable': 503,
  'idempotency.invalid_key': 400,
  'idempotency.key_reused': 422,
  'idempotency.in_progress': 409,
  'request.invalid': 400,
  'request.not_found': 404,
  'request.unsupported_media_type': 415,
  'request.too_large': 413,
  'handover.usage': 400,
  'handover.key_invalid': 409,
  'handover.signature_invalid': 422,
  'handover.checksum_mismatch': 422,
  'handover.archive_invalid': 422,
  'handover.document_damaged': 409,
  'handover.export_not_found': 404,
  'handover.export_not_ready': 409,
  // Only a job's recorded error (never thrown by a request).
  'handover.export_abandoned': 500,
  'handover.conflict': 409,
  internal: 500,
  // Never answered over HTTP (CLI and start-up).
  'db.migration_failed': 500,
  'config.invalid': 500,
  'listen.address_in_use': 500,
  'listen.address_unavailable': 500,
  'listen.permission_denied': 500,
  'listen.failed': 500,
  'backup.usage': 500,
  'backup.repository_not_found': 500,
  'backup.repository_exists': 500,
  'backup.repository_invalid': 500,
  'backup.not_attached': 500,
  'backup.locked': 500,
  'backup.snapshot_not_found': 500,
  'backup.key_invalid': 500,
  'backup.wrong_key': 500,
  'backup.integrity': 500,
  'backup.target_not_empty': 500,
  'backup.incomplete': 500,
  'sync.usage': 500,
  'sync.max_delete_exceeded': 500,
  'sync.listing_failed': 500,
  'search.invalid_query': 400,
  'search.invalid_cursor': 400,
  'search.disabled': 503,
  'search.invalid_languages': 400,
  'audit.invalid_query': 400,
  'audit.invalid_cursor': 400,
  // Start-up and CLI only (the checkpoint key).
  'audit.key_invalid': 500,
  // CLI only (`docstore events replay`).
  'events.not_found': 404,
} as const satisfies Record<ErrorCode, number>;

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content too large',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  [extension: string]: unknown;
}

/** Every code any layer can raise (the registry's, `src/errors/error-codes.ts`). */
export const ALL_ERROR_CODES: readonly ErrorCode[] = ERROR_CODES;

/**
 * Turns any error into RFC 9457 problem details. Typed errors keep their code and message; Fastify's
 * own errors (validation, media type, body size) get request.* codes; anything else is a 500 that
 * shows no internals.
 */
export function toProblem(error: unknown, instance: string): ProblemDetails {
  let code: ErrorCode = 'internal';
  let detail = 'An internal error occurred; it has been logged.';
  let extra: Record<string, unknown> = {};
  if (isDocstoreError(error)) {
    code = error.code;
    detail = error.message;
    // A refusal under retention or hold names the date (or `permanent`) and the hold's scope.
    if (isRetentionError(error)) extra = { ...error.context };
  } else if (isFastifyError(error)) {
    if (error.validation !== undefined) {
      code = 'request.invalid';
      detail = error.message;
      extra = { errors: error.validation.map((issue) => ({ path: issue.instancePath || issue.params?.issue?.path, message: issue.message })) };
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      code = 'request.unsupported_media_type';
      detail = error.message;
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.code === 'FST_REQ_FILE_TOO_LARGE') {
      code = 'request.too_large';
      detail = error.message;
    } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      code = 'request.invalid';
      detail = error.message;
    }
  }
  const status: number = STATUS_BY_CODE[code];
  if (status >= 500 && status !== 503) detail = 'An internal error occurred; it has been logged.';
  if (code === 'storage.unavailable') detail = 'The document storage is unavailable; try again later.';
  if (code === 'database.unavailable') detail = 'The metadata database is unavailable; try again later.';
  return { type: `urn:docstore:${code}`, title: TITLES[status] ?? 'Error', status, detail, code, instance, ...extra };
}

/** `Retry-After` of a 503 `database.unavailable` or `storage.unavailable`, in seconds. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** The `Retry-After` (seconds) a typed error asks its client to wait, from its `context.retryAfterSeconds`. */
export function retryAfterSecondsOf(error: unknown): number | undefined {
  const seconds = isDocstoreError(error) ? error.context.retryAfterSeconds : undefined;
  if (typeof seconds === 'number') return seconds;
  // The database or the storage is down or not answering: worth retrying soon, not at once.
  const unavailable = error instanceof DatabaseUnavailable || (isStorageError(error) && error.code === 'storage.unavailable');
  return unavailable ? UNAVAILABLE_RETRY_AFTER_SECONDS : undefined;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: Array<{ instancePath?: string; message?: string; params?: { issue?: { path?: unknown } } }>;
}

function isFastifyError(error: unknown): error is FastifyLikeError {
  return error instanceof Error && ('statusCode' in error || 'validation' in error || 'code' in error);
}
