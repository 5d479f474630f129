import { randomBytes } from 'node:crypto';
import { EncryptingObjectStorage } from '../../src/storage/encrypting-object-storage.js';
import { MasterKeyring, type MasterKey } from '../../src/storage/master-keyring.js';
import type { ObjectStorage } from '../../src/storage/object-storage.js';
import type { StorageFixture } from '../storage/object-storage.conformance.js';
import { localFixture, s3Fixture, signedLinkServer } from './storage-fixtures.js';

/** A master key with random bytes. */
export function masterKey(id: string): MasterKey {
  return { id, key: randomBytes(32) };
}

export interface EncryptedFixture extends StorageFixture {
  storage: EncryptingObjectStorage;
  /** The storage under the encryption (it holds the ciphertext). */
  inner: ObjectStorage;
  /** The same inner storage under another keyring (rotation, retired and wrong keys). */
  withKeys(keys: MasterKey[], activeId: string): EncryptingObjectStorage;
}

/**
 * The encryption decorator around a fresh local or S3 (RGW) fixture, with a real HTTP server serving
 * its signed links (S3's own presigned URLs would hand out ciphertext).
 */
export async function encryptedFixture(backend: 'local' | 's3', keys: MasterKey[] = [masterKey('k1')], activeId = 'k1'): Promise<EncryptedFixture> {
  if (backend === 'local') {
    const fixture = await localFixture();
    const withKeys = (k: MasterKey[], active: string) => new EncryptingObjectStorage(fixture.storage, new MasterKeyring(k, active));
    const storage = withKeys(keys, activeId);
    fixture.serveThrough(storage);
    return { ...fixture, storage, inner: fixture.storage, withKeys };
  }
  const fixture = await s3Fixture();
  const links = await signedLinkServer();
  const withKeys = (k: MasterKey[], active: string) => new EncryptingObjectStorage(fixture.storage, new MasterKeyring(k, active), { signer: links.signer });
  const storage = withKeys(keys, activeId);
  links.serveThrough(storage);
  return {
    ...fixture,
    storage,
    inner: fixture.storage,
    withKeys,
    close: async () => {
      await links.close();
      await fixture.close();
    },
  };
}
