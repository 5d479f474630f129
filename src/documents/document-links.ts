import { normalizeKey } from '../storage/object-key.js';
import type { PresignGetOptions } from '../storage/object-storage.js';
import type { DocumentContext } from './document-context.js';

/**
 * A download link to a document's object. With a `linkSigner` (the service always has one) the
 * link is served by docstore, whatever the storage, so that each use is checked against the
 * recorded SHA-256 and recorded in the audit trail; without one, the storage's own link.
 */
export function documentLink(context: DocumentContext, storageKey: string, options: PresignGetOptions): Promise<string> {
  const signer = context.linkSigner;
  if (signer === undefined) return context.storage.presignGet(storageKey, options);
  return Promise.resolve(signer.signGet(normalizeKey(storageKey), options));
}
