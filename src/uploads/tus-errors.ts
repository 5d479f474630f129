import { DocumentError, type DocumentErrorCode } from '../documents/document-errors.js';
import { isDocstoreError } from '../errors/docstore-error.js';
import { toProblem, type ProblemDetails } from '../http/problem-details.js';

const CODE_BY_STATUS: Record<number, DocumentErrorCode> = {
  404: 'upload.not_found',
  409: 'upload.offset_conflict',
  410: 'upload.expired',
  413: 'upload.too_large',
};

/**
 * A `@tus/server` error (`{ status_code, body }`) as a docstore error with a stable code (`upload.*`);
 * a docstore error stays as it is.
 */
export function tusErrorToDocumentError(error: unknown, id?: string): unknown {
  if (isDocstoreError(error)) return error;
  if (typeof error === 'object' && error !== null && 'status_code' in error && typeof error.status_code === 'number') {
    const detail = 'body' in error && typeof error.body === 'string' ? error.body.trim() : 'tus protocol error';
    return Object.assign(new DocumentError(CODE_BY_STATUS[error.status_code] ?? 'upload.protocol', detail, id === undefined ? {} : { id }), { tusStatus: error.status_code });
  }
  return error;
}

/** The problem+json a tus response carries, keeping tus's status (460 for a chunk's checksum). */
export function tusProblem(error: unknown, instance: string): ProblemDetails {
  const mapped = tusErrorToDocumentError(error);
  const problem = toProblem(mapped, instance);
  const tusStatus = (mapped as { tusStatus?: number }).tusStatus;
  return tusStatus === undefined ? problem : { ...problem, status: tusStatus };
}
