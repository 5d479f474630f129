/**
 * Errors of the documents service, with stable codes that the HTTP error mapper turns into
 * problem+json. Storage errors keep their own codes (`storage.*`).
 */
export type DocumentErrorCode =
  | 'auth.missing_token'
  | 'auth.invalid_token'
  | 'auth.forbidden'
  | 'documents.not_found'
  | 'documents.invalid_input'
  | 'documents.invalid_cursor'
  | 'upload.not_multipart'
  | 'upload.no_file'
  | 'upload.multiple_files'
  | 'upload.empty_file'
  | 'upload.too_large'
  | 'upload.unsupported_content'
  | 'upload.aborted'
  | 'upload.too_many_in_flight'
  | 'content.range_not_satisfiable';

export const DOCUMENT_ERROR_CODES: readonly DocumentErrorCode[] = [
  'auth.missing_token',
  'auth.invalid_token',
  'auth.forbidden',
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
  'content.range_not_satisfiable',
];

export class DocumentError extends Error {
  constructor(
    readonly code: DocumentErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DocumentError';
  }

  static notFound(what: string, id: string): DocumentError {
    return new DocumentError('documents.not_found', `${what} ${id} not found`, { id });
  }

  static forbidden(action: string): DocumentError {
    return new DocumentError('auth.forbidden', `Your role does not allow: ${action}`, { action });
  }

  static invalid(field: string, reason: string): DocumentError {
    return new DocumentError('documents.invalid_input', `${field}: ${reason}`, { field, reason });
  }
}

export function isDocumentError(error: unknown): error is DocumentError {
  return error instanceof DocumentError;
}
