import type * as OpenPgp from 'openpgp';
import { HandoverError } from '../handover-errors.js';

/** v4 keys and signatures: what GnuPG 2.2 and later verify. */
const CONFIG = { v6Keys: false } as const;

export type SigningKey = OpenPgp.PrivateKey;
export type VerificationKey = OpenPgp.PublicKey;

/** openpgp loads when a key is read or a signature made, not with the service (start-up of the other commands stays short). */
const load = () => import('openpgp');

/**
 * A detached, armored OpenPGP signature of `data` (binary mode: `gpg --verify SHA256SUMS.asc
 * SHA256SUMS` checks the exact bytes).
 */
export async function signDetached(data: Uint8Array, key: SigningKey): Promise<string> {
  const openpgp = await load();
  const message = await openpgp.createMessage({ binary: data, format: 'binary' });
  return openpgp.sign({ message, signingKeys: key, detached: true, format: 'armored', config: CONFIG });
}

/**
 * Checks that `signature` is a valid detached signature of `data` by one of `keys`; returns the
 * signing key's fingerprint. Anything else is `handover.signature_invalid`.
 */
export async function verifyDetached(data: Uint8Array, signature: string, keys: readonly VerificationKey[]): Promise<string> {
  const openpgp = await load();
  let parsed: OpenPgp.Signature;
  try {
    parsed = await openpgp.readSignature({ armoredSignature: signature });
  } catch (error) {
    throw HandoverError.signatureInvalid('SHA256SUMS.asc is not an armored OpenPGP signature', error);
  }
  const message = await openpgp.createMessage({ binary: data, format: 'binary' });
  const { signatures } = await openpgp.verify({ message, signature: parsed, verificationKeys: [...keys], format: 'binary' });
  if (signatures.length === 0) throw HandoverError.signatureInvalid('SHA256SUMS.asc holds no signature');
  for (const candidate of signatures) {
    try {
      await candidate.verified;
      const key = keys.find((k) => k.getKeys(candidate.keyID).length > 0);
      if (key !== undefined) return key.getFingerprint().toUpperCase();
    } catch {
      // Another signature in the file may verify; the refusal below says none did.
    }
  }
  const signer = signatures.map((candidate) => candidate.keyID.toHex().toUpperCase()).join(', ');
  throw HandoverError.signatureInvalid(`SHA256SUMS was altered, or signed by key ${signer}, not by the given public key (${keys.map((k) => k.getFingerprint().toUpperCase()).join(', ')})`);
}

/** Reads an armored private key able to sign (a docstore key, or one exported with `gpg --armor --export-secret-keys`), unlocked with `passphrase` when protected. */
export async function readSigningKey(armored: string, passphrase: string | undefined, source: string): Promise<SigningKey> {
  const openpgp = await load();
  let key: SigningKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey: armored });
  } catch (error) {
    throw HandoverError.keyInvalid(source, 'not an armored OpenPGP private key', error);
  }
  if (!key.isDecrypted()) {
    if (passphrase === undefined) throw HandoverError.keyInvalid(source, 'the private key is protected: give its passphrase (--passphrase-file)');
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase });
    } catch (error) {
      throw HandoverError.keyInvalid(source, 'wrong passphrase for the private key', error);
    }
  }
  try {
    await key.getSigningKey();
  } catch (error) {
    throw HandoverError.keyInvalid(source, `key ${key.getFingerprint().toUpperCase()} cannot sign (expired, revoked or without a signing key)`, error);
  }
  return key;
}

/** Reads the armored public keys a receiver trusts (one block or several). */
export async function readVerificationKeys(armored: string, source: string): Promise<VerificationKey[]> {
  const openpgp = await load();
  let keys: OpenPgp.Key[];
  try {
    keys = await openpgp.readKeys({ armoredKeys: armored });
  } catch (error) {
    throw HandoverError.keyInvalid(source, 'not an armored OpenPGP public key', error);
  }
  if (keys.length === 0) throw HandoverError.keyInvalid(source, 'holds no key');
  return keys.map((key) => key.toPublic());
}

/** The fingerprint as GnuPG prints it (upper-case hex, no spaces). */
export function fingerprintOf(key: SigningKey | VerificationKey): string {
  return key.getFingerprint().toUpperCase();
}

/** A new signing key pair (Ed25519, v4), unprotected: the server signs unattended (the file is mode 0600). */
export async function generateSigningKey(userId: { name: string; email?: string }): Promise<{ fingerprint: string; publicKey: string; privateKey: string }> {
  const openpgp = await load();
  const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [userId], format: 'armored', config: CONFIG });
  const key = await openpgp.readKey({ armoredKey: publicKey });
  return { fingerprint: key.getFingerprint().toUpperCase(), publicKey, privateKey };
}
