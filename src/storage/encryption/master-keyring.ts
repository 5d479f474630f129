import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyUnavailable } from '../storage-errors.js';

/** One master key (key-encryption key): 32 random bytes and the id stored with every object it wraps. */
export interface MasterKey {
  id: string;
  key: Buffer;
}

/** Bytes of a master key and of a data key (AES-256). */
export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The configured master keys: one active key wraps new data keys; the others only unwrap the data
 * keys of objects written before a rotation, until no object uses them (`docstore keys status`).
 * Wrapping is AES-256-GCM with a random nonce; the caller's context (object key, key id, format,
 * plaintext size and SHA-256) is the additional authenticated data, so a wrapped key cannot be
 * moved to another object nor its description altered unnoticed. Key bytes never leave this class.
 */
export class MasterKeyring {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    keys: readonly MasterKey[],
    readonly activeId: string,
  ) {
    const map = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) throw new RangeError(`invalid master key id ${JSON.stringify(id)}`);
      if (key.length !== KEY_BYTES) throw new RangeError(`master key ${id} must have ${KEY_BYTES} bytes`);
      if (map.has(id)) throw new RangeError(`master key id ${id} appears twice`);
      map.set(id, Buffer.from(key));
    }
    if (!map.has(activeId)) throw new RangeError(`the active master key ${activeId} is not among the keys`);
    this.keys = map;
  }

  /** Ids of every configured key, the active one first. */
  get ids(): string[] {
    return [this.activeId, ...[...this.keys.keys()].filter((id) => id !== this.activeId)];
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  /** Wraps `dataKey` under the active key: base64 of nonce ‖ ciphertext ‖ tag. */
  wrap(dataKey: Buffer, context: (keyId: string) => Buffer): { keyId: string; wrapped: string } {
    const keyId = this.activeId;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyId) as Buffer, nonce);
    cipher.setAAD(context(keyId));
    const sealed = Buffer.concat([nonce, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return { keyId, wrapped: sealed.toString('base64') };
  }

  /**
   * Unwraps a data key. Raises `KeyUnavailable` when the key id is not configured, or when the key
   * of that id does not open it (a wrong key, or a context that differs from the one it was wrapped with).
   */
  unwrap(objectKey: string, keyId: string, wrapped: string, context: Buffer): Buffer {
    const masterKey = this.keys.get(keyId);
    if (masterKey === undefined) throw KeyUnavailable.missing(objectKey, keyId);
    const sealed = Buffer.from(wrapped, 'base64');
    if (sealed.length !== NONCE_BYTES + KEY_BYTES + TAG_BYTES) throw KeyUnavailable.wrong(objectKey, keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', masterKey, sealed.subarray(0, NONCE_BYTES));
      decipher.setAAD(context);
      decipher.setAuthTag(sealed.subarray(NONCE_BYTES + KEY_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, NONCE_BYTES + KEY_BYTES)), decipher.final()]);
    } catch (error) {
      throw KeyUnavailable.wrong(objectKey, keyId, { cause: error });
    }
  }
}

/** Why a `DOCSTORE_MASTER_KEYS` value was refused (never quoting key material). */
export class MasterKeysSyntaxError extends Error {}

/**
 * Parses `DOCSTORE_MASTER_KEYS`: comma-separated `id:base64` entries (32 bytes each, e.g. from
 * `openssl rand -base64 32`); the active key's id carries a trailing `*` (`2026-11*:…`), optional
 * when there is only one key. Ids: 1–64 of `A-Z a-z 0-9 . _ -`.
 */
export function parseMasterKeys(value: string): { keys: MasterKey[]; activeId: string } {
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) throw new MasterKeysSyntaxError('must list at least one id:base64 key');
  const keys: MasterKey[] = [];
  const active: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    if (colon < 0) throw new MasterKeysSyntaxError(`entry ${index + 1} is not of the form id:base64`);
    let id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (id.endsWith('*')) {
      id = id.slice(0, -1);
      active.push(id);
    }
    if (!KEY_ID.test(id)) throw new MasterKeysSyntaxError(`entry ${index + 1}: the id must be 1–64 letters, digits, ".", "_" or "-"`);
    if (keys.some((key) => key.id === id)) throw new MasterKeysSyntaxError(`the id ${id} appears twice`);
    const key = Buffer.from(encoded, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length !== KEY_BYTES) {
      throw new MasterKeysSyntaxError(`the key ${id} must be base64 of exactly ${KEY_BYTES} bytes (openssl rand -base64 32)`);
    }
    keys.push({ id, key });
  }
  if (active.length > 1) throw new MasterKeysSyntaxError(`more than one active key (${active.join(', ')}): mark exactly one id with "*"`);
  const activeId = active[0] ?? (keys.length === 1 ? (keys[0] as MasterKey).id : undefined);
  if (activeId === undefined) throw new MasterKeysSyntaxError('several keys and none marked active: mark the active id with "*" (for example 2026-11*:…)');
  return { keys, activeId };
}
