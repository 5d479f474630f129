import { DocstoreError } from '../errors/docstore-error.js';

/**
 * Codes of the audit trail: its reading and export (answered over HTTP as problem+json), and the
 * checkpoint key (`audit.key_invalid`: start-up and CLI only).
 */
export const AUDIT_ERROR_CODES = ['audit.invalid_query', 'audit.invalid_cursor', 'audit.key_invalid'] as const;

export type AuditErrorCode = (typeof AUDIT_ERROR_CODES)[number];

export class AuditError extends DocstoreError<AuditErrorCode> {
  constructor(code: AuditErrorCode, message: string, context: Record<string, unknown> = {}, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, context });
  }

  /** A filter that parses but cannot select anything sensible (`from` after `to`…). */
  static invalidQuery(field: string, reason: string): AuditError {
    return new AuditError('audit.invalid_query', `${field}: ${reason}`, { field, reason });
  }

  /** The checkpoint signing key at `source` cannot be read, written or used. */
  static keyInvalid(source: string, reason: string, cause?: unknown): AuditError {
    return new AuditError('audit.key_invalid', `${source} ${reason}`, { source, reason }, cause === undefined ? {} : { cause });
  }

  /** Not a cursor this listing returned (malformed, or made for other filters or another organisation). */
  static invalidCursor(reason: string, options: { cause?: unknown } = {}): AuditError {
    return new AuditError('audit.invalid_cursor', `The cursor ${reason}`, { reason }, options);
  }
}

export function isAuditError(error: unknown): error is AuditError {
  return error instanceof AuditError;
}
