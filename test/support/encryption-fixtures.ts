import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { EncryptingObjectStorage } from '../../src/storage/encryption/encrypting-object-storage.js';
import { MasterKeyring, type MasterKey } from '../../src/storage/encryption/master-keyring.js';
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

/** What an object of encryption format 1 carried in clear (the format before the sealed description). */
export interface FormatOneDescription {
  contentType?: string;
  contentDisposition?: string;
  metadata?: Record<string, string>;
}

/**
 * Writes `plaintext` under `key` the way docstore wrote encrypted objects in format 1, written out
 * here independently of the current code: AES-256-GCM segments of 64 KiB (nonce: index, final flag),
 * the data key wrapped under `masterKey` bound to format, segment size, key, key id and plaintext
 * SHA-256; content type, disposition, user metadata and the plaintext SHA-256 stored in clear.
 */
export async function putFormatOne(inner: ObjectStorage, masterKey: MasterKey, key: string, plaintext: Buffer, description: FormatOneDescription = {}): Promise<void> {
  const segmentBytes = 64 * 1024;
  const dataKey = randomBytes(32);
  const segments = Math.max(1, Math.ceil(plaintext.length / segmentBytes));
  const sealed: Buffer[] = [];
  for (let index = 0; index < segments; index++) {
    const nonce = Buffer.alloc(12);
    nonce.writeBigUInt64BE(BigInt(index), 0);
    nonce[11] = index === segments - 1 ? 1 : 0;
    const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
    sealed.push(cipher.update(plaintext.subarray(index * segmentBytes, (index + 1) * segmentBytes)), cipher.final(), cipher.getAuthTag());
  }
  const sha256 = createHash('sha256').update(plaintext).digest('hex');
  const wrapNonce = randomBytes(12);
  const wrapper = createCipheriv('aes-256-gcm', masterKey.key, wrapNonce);
  wrapper.setAAD(Buffer.from(`docstore-enc/1\u0000${segmentBytes}\u0000${key}\u0000${masterKey.id}\u0000${sha256}`, 'utf8'));
  const wrapped = Buffer.concat([wrapNonce, wrapper.update(dataKey), wrapper.final(), wrapper.getAuthTag()]).toString('base64');
  await inner.put(key, Buffer.concat(sealed), {
    ...(description.contentType === undefined ? {} : { contentType: description.contentType }),
    ...(description.contentDisposition === undefined ? {} : { contentDisposition: description.contentDisposition }),
    metadata: description.metadata ?? {},
    systemMetadata: () => ({ 'docstore-enc': '1', 'docstore-enc-key-id': masterKey.id, 'docstore-enc-data-key': wrapped, 'docstore-enc-sha256': sha256 }),
  });
}
