import { translateBodyFailure } from '../put-body.js';
import { ObjectNotFound, PermissionDenied, StorageUnavailable, isStorageError, type StorageError } from '../storage-errors.js';

/** The `code` of a Node.js file-system error (`ENOENT`, …), if any. */
export function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** For `lstat(…).catch`: a missing file is `undefined`, any other failure is thrown again. */
export function ignoreMissingStat(error: unknown): undefined {
  if (errnoCode(error) !== 'ENOENT') throw error;
  return undefined;
}

/** For `unlink(…).catch`: a missing file is fine, any other failure is thrown again. */
export function ignoreMissing(error: unknown): void {
  if (errnoCode(error) !== 'ENOENT') throw error;
}

/** A failed write: a file-system error is translated as such, anything else came from the body stream. */
export function translateWriteFailure(error: unknown, key: string, signal: AbortSignal | undefined): StorageError {
  // File-system errors carry the failing system call; anything else came from the body stream.
  const fromFileSystem = (error as NodeJS.ErrnoException | undefined)?.syscall !== undefined;
  return fromFileSystem && signal?.aborted !== true ? translateFsError(error, 'put', key) : translateBodyFailure(error, 'put', key, signal);
}

/** Translates a file-system error at the adapter boundary. */
export function translateFsError(error: unknown, operation: string, key: string): StorageError {
  if (isStorageError(error)) return error;
  switch (errnoCode(error)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return ObjectNotFound.atKey(key, { cause: error });
    case 'ELOOP':
      return PermissionDenied.forOperation(operation, key, { cause: error, context: { reason: 'symbolic link on the path' } });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return PermissionDenied.forOperation(operation, key, { cause: error });
    default:
      return StorageUnavailable.because(`${operation} of ${key} failed on the local disk`, { cause: error });
  }
}
