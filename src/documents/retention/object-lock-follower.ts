import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import { isStorageError } from '../../storage/storage-errors.js';
import { versionKeysOf } from '../versions/document-version-repository.js';
import { documentLockOf, type DocumentLock } from './document-object-lock.js';
import type { Protection, ProtectionListener } from './document-protection.js';

/**
 * Makes the storage's Object Lock follow docstore's retention and holds (docs/retention.md, "S3
 * Object Lock"): after a document's protection may have changed (an upload, a new version, a hold
 * placed or released, a date, type or policy changed) and the change is committed, every stored
 * version of it gets its retain-until date extended to the document's (`documentLockOf`: a
 * permanent one `PERMANENT_LOCK_YEARS` after its upload) and its legal hold placed or released.
 * A lock is never shortened: a retention shortened by a superadmin changes the database only.
 *
 * Every document of the batch is tried; the first failure is thrown after the last, so the request
 * that changed the protection fails (the database has the change, the storage may lag behind) and
 * repeating it re-applies the locks: placing or releasing a hold that is already so, or setting
 * the same retention, runs the follower again. A key whose object is absent is skipped (nothing to
 * lock; `reconcile` reports it missing). Undefined when the storage has no Object Lock: nothing to
 * follow, nothing asked of the storage.
 */
export function objectLockFollower(db: Kysely<Database>, storage: ObjectStorage): ProtectionListener | undefined {
  if (!storage.capabilities.objectLock) return undefined;
  const apply = async (key: string, lock: DocumentLock): Promise<void> => {
    try {
      if (lock.retainUntil !== undefined) await storage.extendRetention(key, lock.retainUntil);
      await storage.setLegalHold(key, lock.legalHold === true);
    } catch (error) {
      if (isStorageError(error) && error.code === 'storage.not_found') return;
      throw error;
    }
  };
  return async (protections: readonly Protection[]) => {
    let failure: unknown;
    for (const protection of protections) {
      const lock = documentLockOf(protection);
      try {
        const current = await db.selectFrom('documents').select('storage_key').where('id', '=', protection.documentId).executeTakeFirst();
        const keys = new Set([...(await versionKeysOf(db, protection.documentId)), ...(current === undefined ? [] : [current.storage_key])]);
        for (const key of keys) await apply(key, lock);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  };
}
