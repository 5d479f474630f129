import { DocstoreError } from '../errors/docstore-error.js';

/** Codes of `mirror` and `verify` failures that are not about one object (those are reported per object). */
export const SYNC_ERROR_CODES = ['sync.usage', 'sync.max_delete_exceeded', 'sync.listing_failed'] as const;

export type SyncErrorCode = (typeof SYNC_ERROR_CODES)[number];

export class SyncError extends DocstoreError<SyncErrorCode> {
  static usage(message: string, cause?: unknown): SyncError {
    return new SyncError('sync.usage', message, cause === undefined ? {} : { cause });
  }
}
