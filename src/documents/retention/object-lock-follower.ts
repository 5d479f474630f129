import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { permanentLockUntil, type ObjectStorage } from '../../storage/object-storage.js';
import { versionKeysOf } from '../versions/document-version-repository.js';
import type { Protection, ProtectionListener } from './document-protection.js';

/**
 * Makes the storage's Object Lock follow docstore's retention and holds (docs/retention.md, "S3
 * Object Lock"): after a document's protection may have changed (an upload, a hold placed or
 * released, a date, type or policy changed), every stored version of it gets a retain-until date at
 * least the document's (a permanent one: `PERMANENT_LOCK_YEARS` from now) and its legal hold set
 * or released. A lock is never shortened (the storage keeps the later date). Undefined when the
 * storage has no Object Lock: nothing to follow.
 */
export function objectLockFollower(db: Kysely<Database>, storage: ObjectStorage): ProtectionListener | undefined {
  const { extendRetention, setLegalHold } = storage;
  if (storage.capabilities.objectLock !== true || extendRetention === undefined || setLegalHold === undefined) return undefined;
  return async (protections: readonly Protection[]) => {
    for (const protection of protections) {
      const until = lockDateOf(protection);
      const current = await db.selectFrom('documents').select('storage_key').where('id', '=', protection.documentId).executeTakeFirst();
      const keys = new Set([...(await versionKeysOf(db, protection.documentId)), ...(current === undefined ? [] : [current.storage_key])]);
      for (const key of keys) {
        if (until !== undefined) await extendRetention.call(storage, key, until);
        await setLegalHold.call(storage, key, protection.legalHold !== null);
      }
    }
  };
}

/** The lock date of a retained document: the start (UTC) of its first deletable day, a little later than in Brussels — the safe side. */
function lockDateOf(protection: Protection): Date | undefined {
  if (protection.retention.permanent) return permanentLockUntil(new Date());
  if (!protection.retained || protection.retention.retainUntil === null) return undefined;
  return new Date(`${protection.retention.retainUntil}T00:00:00Z`);
}
