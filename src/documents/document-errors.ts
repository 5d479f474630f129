import { DocstoreError } from '../errors/docstore-error.js';

/**
 * Codes of the documents service and its uploads, which the HTTP error mapper turns into
 * problem+json. Storage errors keep their own codes (`storage.*`), authentication and roles theirs
 * (`auth.*`, `src/auth/auth-errors.ts`).
 */
export const DOCUMENT_ERROR_CODES = [
  'documents.not_found',
  'documents.invalid_input',
  'documents.invalid_cursor',
  'upload.not_multipart',
  'upload.no_file',
  'upload.multiple_files',
  'upload.empty_file',
  'upload.too_large',
  'upload.unsupported_content',
  'upload.aborted',
  'upload.too_many_in_flight',
  'upload.checksum_mismatch',
  'upload.chunk_checksum_mismatch',
  'upload.checksum_unsupported',
  'upload.not_found',
  'upload.offset_conflict',
  'upload.expired',
  'upload.protocol',
  'content.range_not_satisfiable',
  'document.version_not_found',
  'document.version_conflict',
] as const;

export type DocumentErrorCode = (typeof DOCUMENT_ERROR_CODES)[number];

export class DocumentError extends DocstoreError<DocumentErrorCode> {
  constructor(code: DocumentErrorCode, message: string, context: Record<string, unknown> = {}, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, context });
  }

  static notFound(what: string, id: string): DocumentError {
    return new DocumentError('documents.not_found', `${what} ${id} not found`, { id });
  }

  static versionNotFound(id: string, version: number): DocumentError {
    return new DocumentError('document.version_not_found', `Document ${id} has no version ${version}`, { id, version });
  }

  static invalid(field: string, reason: string): DocumentError {
    return new DocumentError('documents.invalid_input', `${field}: ${reason}`, { field, reason });
  }
}

export function isDocumentError(error: unknown): error is DocumentError {
  return error instanceof DocumentError;
}
