import { DocstoreError } from '../../errors/docstore-error.js';
import type { CalendarDate } from './calendar-date.js';

/** Refusals of a delete while the law or a procedure requires keeping the document (HTTP 409). */
export const RETENTION_ERROR_CODES = ['document.retention_active', 'document.legal_hold_active'] as const;

export type RetentionErrorCode = (typeof RETENTION_ERROR_CODES)[number];

export class RetentionError extends DocstoreError<RetentionErrorCode> {
  /** The document must be kept until `retainUntil` (exclusive), or forever (`null`). */
  static retained(documentId: string, retainUntil: CalendarDate | null, what = 'deleted'): RetentionError {
    const until = retainUntil === null ? 'permanently (for the life of the association)' : `until ${retainUntil}`;
    return new RetentionError('document.retention_active', `Document ${documentId} is under retention ${until}: it cannot be ${what}`, {
      context: { documentId, retainUntil, permanent: retainUntil === null },
    });
  }

  /** The document, or its whole building (`scope`), is under a legal hold. */
  static held(documentId: string, scope: 'document' | 'building', what = 'deleted'): RetentionError {
    return new RetentionError(
      'document.legal_hold_active',
      `Document ${documentId} is under a legal hold${scope === 'building' ? ' on its building' : ''}: it cannot be ${what} until the hold is released`,
      { context: { documentId, scope } },
    );
  }
}

export function isRetentionError(error: unknown): error is RetentionError {
  return error instanceof RetentionError;
}
