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
 */
export async function removeVersionObjects(context: DocumentContext, document: { id: string; storage_key: string }): Promise<void> {
  await context.protection.assertDeletable(document.id, 'purged');
  const keys = new Set([...(await versionKeysOf(context.db, document.id)), document.storage_key]);
  for (const key of keys) await context.storage.delete(key);
}
