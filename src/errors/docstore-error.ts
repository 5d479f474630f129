import type { ErrorCode } from './error-codes.js';

/** What an error is about (key, variable, field…), for logs and messages; never secrets. */
export type ErrorContext = Record<string, unknown>;

export interface DocstoreErrorOptions {
  /** The error this one translates (a vendor error, an errno exception), kept as `Error.cause`. */
  cause?: unknown;
  context?: ErrorContext;
}

/**
 * The one base of docstore's typed errors. `code` is a stable, namespaced code from the registry
 * (`src/errors/error-codes.ts`): the HTTP layer turns it into a status and problem+json, the CLI
 * into an exit code. Callers branch on `code` or on a module's type guards, never on message text.
 * Modules subclass it thinly to add named constructors (`ObjectNotFound.atKey(…)`).
 */
export class DocstoreError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly context: ErrorContext;

  constructor(code: C, message: string, options: DocstoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }
}

export function isDocstoreError(error: unknown): error is DocstoreError {
  return error instanceof DocstoreError;
}

/** Whether `error` is a typed error with exactly this code. */
export function hasErrorCode<C extends ErrorCode>(error: unknown, code: C): error is DocstoreError<C> {
  return isDocstoreError(error) && error.code === code;
}
