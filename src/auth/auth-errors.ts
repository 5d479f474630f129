import { DocstoreError } from '../errors/docstore-error.js';

/** Codes of authentication (401) and of what a role may do (403). */
export const AUTH_ERROR_CODES = ['auth.missing_token', 'auth.invalid_token', 'auth.forbidden'] as const;

export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

export class AuthError extends DocstoreError<AuthErrorCode> {
  /** The request carries no `Authorization` header. */
  static missingToken(): AuthError {
    return new AuthError('auth.missing_token', 'An Authorization: Bearer token is required');
  }

  /** The token is not a Bearer JWT, or does not verify (`context.reason` says why when known). */
  static invalidToken(message: string, options: { reason?: string; cause?: unknown } = {}): AuthError {
    const { reason, cause } = options;
    return new AuthError('auth.invalid_token', message, { cause, context: reason === undefined ? {} : { reason } });
  }

  /** The principal's role does not allow `action`. */
  static forbidden(action: string): AuthError {
    return new AuthError('auth.forbidden', `Your role does not allow: ${action}`, { context: { action } });
  }
}

export function isAuthError(error: unknown): error is AuthError {
  return error instanceof AuthError;
}
