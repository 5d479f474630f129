import * as openpgp from 'openpgp';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BackupError } from '../backup-errors.js';

/**
 * OpenPGP in the dialect stock GnuPG 2.2 reads: v4 keys, SEIPD v1 (MDC) packets, no compression
 * (documents are mostly PDFs and images, already compressed), no AEAD/v6 packets.
 */
const CONFIG = {
  aeadProtect: false,
  v6Keys: false,
  preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed,
} as const;

export type PublicKey = openpgp.PublicKey;
export type PrivateKey = openpgp.PrivateKey;

/** Encrypts a stream to every recipient; the result streams (memory does not depend on the size). */
export async function encryptStream(input: Readable, recipients: readonly PublicKey[]): Promise<Readable> {
  const message = await openpgp.createMessage({ binary: Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>, format: 'binary' });
  const encrypted = await openpgp.encrypt({ message, encryptionKeys: [...recipients], format: 'binary', config: CONFIG });
  return Readable.fromWeb(encrypted as unknown as WebReadableStream<Uint8Array>);
}

/** Encrypts bytes in memory (manifests, the repository's naming key). */
export async function encryptBytes(bytes: Uint8Array, recipients: readonly PublicKey[]): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: bytes, format: 'binary' });
  return openpgp.encrypt({ message, encryptionKeys: [...recipients], format: 'binary', config: CONFIG });
}

/**
 * Decrypts a stream. Plaintext is released while it streams, before OpenPGP's modification check at
 * the end of the message: an altered message fails the stream at its end, so a caller must not
 * publish what it wrote before the stream ended cleanly (restore writes through `put` with the
 * expected SHA-256, which publishes nothing unless every byte checks out).
 * A message none of the keys can open raises `backup.wrong_key` naming `what`.
 */
export async function decryptStream(input: Readable, keys: readonly PrivateKey[], what: string): Promise<Readable> {
  let message: openpgp.Message<ReadableStream<Uint8Array>>;
  try {
    message = await openpgp.readMessage({ binaryMessage: Readable.toWeb(input) as unknown as ReadableStream<Uint8Array> });
  } catch (error) {
    input.destroy();
    throw BackupError.integrity(what, 'not an OpenPGP message', error);
  }
  try {
    const { data } = await openpgp.decrypt({ message, decryptionKeys: [...keys], format: 'binary', config: { allowUnauthenticatedStream: true } });
    const stream = data as unknown as WebReadableStream<Uint8Array>;
    // OpenPGP's failures while streaming (modification detected, truncated packets) become integrity errors naming `what`.
    return Readable.from(
      (async function* () {
        try {
          for await (const chunk of stream) yield chunk;
        } catch (error) {
          throw error instanceof BackupError ? error : BackupError.integrity(what, `altered or truncated (${error instanceof Error ? error.message : String(error)})`, error);
        }
      })(),
      { objectMode: false },
    );
  } catch (error) {
    input.destroy();
    throw translateDecryptError(error, what);
  }
}

/** Decrypts a message held in memory (manifests), checking its integrity before returning. */
export async function decryptBytes(bytes: Uint8Array, keys: readonly PrivateKey[], what: string): Promise<Uint8Array> {
  let message: openpgp.Message<Uint8Array>;
  try {
    message = await openpgp.readMessage({ binaryMessage: bytes });
  } catch (error) {
    throw BackupError.integrity(what, 'not an OpenPGP message', error);
  }
  try {
    const { data } = await openpgp.decrypt({ message, decryptionKeys: [...keys], format: 'binary' });
    return data;
  } catch (error) {
    throw translateDecryptError(error, what);
  }
}

function translateDecryptError(error: unknown, what: string): BackupError {
  const message = error instanceof Error ? error.message : String(error);
  if (/session key|no decryption key|decryption key/i.test(message)) return BackupError.wrongKey(what, error);
  return BackupError.integrity(what, `cannot be decrypted (${message})`, error);
}

/**
 * Reads one or more armored public keys (several armor blocks one after the other, as `gpg --armor
 * --export A B` writes them, or one block holding several keys); each must be a v4 key able to encrypt.
 */
export async function readPublicKeys(armored: string, source: string): Promise<PublicKey[]> {
  const blocks = armored.match(/-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g) ?? [armored];
  const keys: openpgp.Key[] = [];
  for (const block of blocks) {
    try {
      keys.push(...(await openpgp.readKeys({ armoredKeys: block })));
    } catch (error) {
      throw new BackupError('backup.key_invalid', `${source}: not an armored OpenPGP public key`, { cause: error });
    }
  }
  const publicKeys: PublicKey[] = [];
  for (const key of keys) {
    const publicKey = key.toPublic();
    if (publicKey.keyPacket.version !== 4) {
      throw new BackupError('backup.key_invalid', `${source}: key ${publicKey.getFingerprint()} is a v${publicKey.keyPacket.version} key; GnuPG 2.2 reads only messages to v4 keys`);
    }
    try {
      await publicKey.getEncryptionKey();
    } catch (error) {
      throw new BackupError('backup.key_invalid', `${source}: key ${publicKey.getFingerprint()} cannot encrypt (expired, revoked or signing-only)`, { cause: error });
    }
    publicKeys.push(publicKey);
  }
  return publicKeys;
}

/** Reads an armored private key and unlocks it with `passphrase` (when it is protected). */
export async function readPrivateKey(armored: string, passphrase: string | undefined, source: string): Promise<PrivateKey> {
  let key: PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey: armored });
  } catch (error) {
    throw new BackupError('backup.key_invalid', `${source}: not an armored OpenPGP private key`, { cause: error });
  }
  if (key.isDecrypted()) return key;
  if (passphrase === undefined) throw new BackupError('backup.key_invalid', `${source}: the private key is protected; give its passphrase (--passphrase-file or DOCSTORE_BACKUP_PASSPHRASE)`);
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch (error) {
    throw new BackupError('backup.key_invalid', `${source}: wrong passphrase for the private key`, { cause: error });
  }
}

export interface GeneratedKey {
  fingerprint: string;
  publicKey: string;
  privateKey: string;
}

/** A new key pair (Curve25519, v4: what GnuPG 2.2 and later read), the private key locked with `passphrase`. */
export async function generateKey(userId: { name: string; email?: string }, passphrase: string): Promise<GeneratedKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [userId],
    passphrase,
    format: 'armored',
    config: CONFIG,
  });
  const key = await openpgp.readKey({ armoredKey: publicKey });
  return { fingerprint: key.getFingerprint().toUpperCase(), publicKey, privateKey };
}

export function fingerprintOf(key: PublicKey | PrivateKey): string {
  return key.getFingerprint().toUpperCase();
}

export function armor(key: PublicKey): string {
  return key.armor();
}
