import { expect } from 'vitest';
import { isStorageError, type StorageErrorCode } from '../../src/storage/storage-errors.js';

/** Expects `promise` to reject with a storage error of `code`. */
export async function expectCode(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected ${code}`).toBeDefined();
  expect(isStorageError(error) ? error.code : error).toBe(code);
}
