/** Errors of `mirror` and `verify` that are not about one object. */
export class SyncError extends Error {
  constructor(
    readonly code: 'sync.usage' | 'sync.max_delete_exceeded' | 'sync.listing_failed',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SyncError';
  }

  static usage(message: string, cause?: unknown): SyncError {
    return new SyncError('sync.usage', message, cause === undefined ? {} : { cause });
  }
}
