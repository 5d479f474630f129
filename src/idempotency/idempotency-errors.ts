import { DocstoreError } from '../errors/docstore-error.js';

/** Errors of `Idempotency-Key` handling, with stable codes the HTTP error mapper turns into problem+json. */
export const IDEMPOTENCY_ERROR_CODES = ['idempotency.invalid_key', 'idempotency.key_reused', 'idempotency.in_progress'] as const;
export type IdempotencyErrorCode = (typeof IDEMPOTENCY_ERROR_CODES)[number];

export class IdempotencyError extends DocstoreError<IdempotencyErrorCode> {
  private constructor(code: IdempotencyErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(code, message, { context });
  }

  /** The header is empty, too long or not printable ASCII. */
  static invalidKey(reason: string): IdempotencyError {
    return new IdempotencyError('idempotency.invalid_key', `Idempotency-Key ${reason}`, { reason });
  }

  /** The key was first used for another request (another building, another route). */
  static reused(key: string): IdempotencyError {
    return new IdempotencyError('idempotency.key_reused', 'This Idempotency-Key was used for another request; send a new key', { key });
  }

  /** A request with this key is still running. */
  static inProgress(key: string): IdempotencyError {
    return new IdempotencyError('idempotency.in_progress', 'A request with this Idempotency-Key is still in progress; retry later', { key });
  }
}

export function isIdempotencyError(error: unknown): error is IdempotencyError {
  return error instanceof IdempotencyError;
}
