import type { DocumentProtection } from './document-protection.js';

/** The building and document a storage key names: `{organisation}/{building}/{document}[/…]`. */
export function keyOwners(key: string): { buildingId: string; documentId: string } | undefined {
  const [, buildingId, documentId] = key.split('/');
  if (buildingId === undefined || documentId === undefined || buildingId === '' || documentId === '') return undefined;
  return { buildingId, documentId };
}

/**
 * Which of these storage keys must not be deleted: keys of a document under retention or legal
 * hold (any object under its key, versions included), or under a building with a legal hold. For
 * the maintenance paths that delete objects by key (`reconcile --fix`, `mirror --delete`).
 */
export async function protectedKeys(protection: DocumentProtection, keys: readonly string[]): Promise<Set<string>> {
  const owners = keys.map((key) => ({ key, owner: keyOwners(key) }));
  const documentIds = owners.flatMap(({ owner }) => (owner === undefined ? [] : [owner.documentId]));
  const buildingIds = owners.flatMap(({ owner }) => (owner === undefined ? [] : [owner.buildingId]));
  const [documents, buildings] = await Promise.all([protection.protectedAmong(documentIds), protection.heldBuildings(buildingIds)]);
  return new Set(owners.filter(({ owner }) => owner !== undefined && (documents.has(owner.documentId) || buildings.has(owner.buildingId))).map(({ key }) => key));
}
