import { ObjectLocked, isStorageError } from '../../storage/storage-errors.js';
import type { DocumentContext } from '../document-context.js';
import { versionKeysOf } from './document-version-repository.js';

/**
 * Deletes the objects of every version of a document, oldest first, and its current key (the same
 * as its newest version's, kept in case a row has no version rows); its rows stay for the caller
 * to delete after (a failure leaves rows whose objects `reconcile` reports missing, and the next
 * purge deletes the rest: deleting an absent object does not fail).
 *
 * The one place where a version's content is removed: the trash purge calls it for a document it
 * may purge. Versions are never removed one by one through the API. Under retention or legal
 * hold it refuses (`document.retention_active`, `document.legal_hold_active`) before deleting
 * anything: the purge skips such documents, and any other caller is stopped here too.
 *
 * Under Object Lock, the storage may still lock a document whose retention docstore's database
 * says is over (a retention shortened by a superadmin: the lock is never shortened). Every key's
 * lock is read first, and a locked one stops the removal with `storage.object_locked` before
 * anything is deleted, so the document stays whole; the storage's own refusal of a delete (a lock
 * placed meanwhile) throws the same code.
 */
export async function removeVersionObjects(context: DocumentContext, document: { id: string; storage_key: string }): Promise<void> {
  await context.protection.assertDeletable(document.id, 'purged');
  const keys = new Set([...(await versionKeysOf(context.db, document.id)), document.storage_key]);
  if (context.storage.capabilities.objectLock) {
    for (const key of keys) await assertUnlocked(context, key);
  }
  for (const key of keys) await context.storage.delete(key);
}

async function assertUnlocked(context: DocumentContext, key: string): Promise<void> {
  const info = await context.storage.stat(key).catch((error: unknown) => {
    if (isStorageError(error) && error.code === 'storage.not_found') return undefined;
    throw error;
  });
  const lock = info?.lock;
  if (lock === undefined) return;
  const retained = lock.retainUntil !== undefined && lock.retainUntil.getTime() > context.now().getTime();
  if (lock.legalHold || retained) throw ObjectLocked.version(key, lock);
}
