import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuditError } from '../audit-errors.js';

/**
 * The service's own Ed25519 key, which signs the audit chains' checkpoints. Kept as a PKCS#8 PEM
 * file (mode 0600) in the data directory, created on first use; instances sharing one database
 * should share the file (as they share the JWT secret), else each signs with its own and
 * `docstore audit verify` needs each public key.
 */
export class CheckpointKey {
  private constructor(
    private readonly privateKey: KeyObject,
    /** The public half, as `docstore audit public-key` prints it. */
    readonly publicKey: KeyObject,
    /** Which key signed (`keyIdOf`). */
    readonly keyId: string,
  ) {}

  /** Reads the key at `path`, or creates it (directory 0700, file 0600, never overwriting a file written meanwhile). */
  static async loadOrCreate(path: string): Promise<CheckpointKey> {
    const existing = await CheckpointKey.load(path);
    if (existing !== undefined) return existing;
    const { privateKey } = generateKeyPairSync('ed25519');
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    try {
      await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw AuditError.keyInvalid(path, `could not be written (${(error as Error).message})`, error);
    }
    return (await CheckpointKey.load(path)) as CheckpointKey;
  }

  /** Reads the key at `path`; `undefined` when there is no file. */
  static async load(path: string): Promise<CheckpointKey | undefined> {
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw AuditError.keyInvalid(path, `could not be read (${(error as Error).message})`, error);
    }
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(pem);
    } catch (error) {
      throw AuditError.keyInvalid(path, 'is not a PEM private key', error);
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') throw AuditError.keyInvalid(path, `is a ${privateKey.asymmetricKeyType ?? 'symmetric'} key, not Ed25519`);
    const publicKey = createPublicKey(privateKey);
    return new CheckpointKey(privateKey, publicKey, keyIdOf(publicKey));
  }

  /** Ed25519 signature of `message`, base64. */
  sign(message: Buffer): string {
    return sign(null, message, this.privateKey).toString('base64');
  }

  /** The public key as SPKI PEM (what `docstore audit public-key` prints). */
  publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }
}

/** A key's id: SHA-256 of its SPKI DER encoding, the first 16 bytes in hex. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

/** Reads an Ed25519 public key from PEM (a private key's PEM gives its public half). */
export function readPublicKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw AuditError.keyInvalid(source, 'is not a PEM public key', error);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw AuditError.keyInvalid(source, `is a ${key.asymmetricKeyType ?? 'symmetric'} key, not Ed25519`);
  return key;
}

/** Whether `signature` (base64) is `publicKey`'s Ed25519 signature of `message`. */
export function signatureValid(publicKey: KeyObject, message: Buffer, signature: string): boolean {
  return verify(null, message, publicKey, Buffer.from(signature, 'base64'));
}
