import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { SEGMENT_BYTES, TAG_BYTES, ciphertextSize, plaintextSize } from './encrypted-segments.js';
import type { ObjectInfo } from '../object-storage.js';
import { IntegrityError, InvalidArgument } from '../storage-errors.js';

/**
 * The envelope of an encrypted object: what is stored around its segments (`encrypted-segments.ts`).
 *
 * Format 2 (written since the sealed description): the stored object is a sealed head of
 * `HEAD_BYTES`, then the segments. The head holds the content type, disposition and user metadata
 * (JSON, zero-padded to a fixed length, so that its size says nothing about a file name), sealed
 * with AES-256-GCM under a key derived from the object's data key (HKDF-SHA256). The backend object
 * itself is `application/octet-stream` without disposition; its reserved metadata holds only the
 * format, the master key id, the wrapped data key and the plaintext's SHA-256 sealed under the same
 * derived key (48 bytes, base64): it is known only once the body has been read, after the head.
 *
 * Format 1 (read, and converted by `docstore keys rotate`): segments only; content type, disposition,
 * user metadata and the plaintext SHA-256 stored in clear by the backend.
 */
export const ENCRYPTION_FORMAT = '2';
/** Reserved metadata of an encrypted object, hidden from `stat().metadata`. */
export const ENCRYPTION_METADATA = {
  format: 'docstore-enc',
  keyId: 'docstore-enc-key-id',
  wrappedKey: 'docstore-enc-data-key',
  /** Format 1 only: the plaintext SHA-256 in clear. */
  sha256: 'docstore-enc-sha256',
  /** Format 2: the plaintext SHA-256 sealed under the description key. */
  sealedSha256: 'docstore-enc-sealed-sha256',
} as const;

/** Bytes of the sealed head of a format-2 object. */
export const HEAD_BYTES = 4096;
const LENGTH_BYTES = 4;
/** Longest description (content type, disposition, user metadata as JSON, UTF-8) a head holds. */
export const MAX_DESCRIPTION_BYTES = HEAD_BYTES - TAG_BYTES - LENGTH_BYTES;
const HEAD_NONCE = Buffer.alloc(12);
const SHA256_NONCE = Buffer.from('000000000000000000000001', 'hex');
const SEALED_SHA256 = /^[A-Za-z0-9+/]{64}$/;

/** What an encrypted object's reserved metadata says. */
export type EncryptionDescription =
  | { format: '1'; keyId: string; wrappedKey: string; sha256: string }
  | { format: '2'; keyId: string; wrappedKey: string; sealedSha256: string };

/** What the head of a format-2 object holds: the plaintext's description. */
export interface SealedDescription {
  contentType: string;
  contentDisposition?: string;
  metadata: Record<string, string>;
}

/** The encryption metadata of an object, or undefined for a plaintext one; a damaged description raises `IntegrityError`. */
export function encryptionOf(info: ObjectInfo): EncryptionDescription | undefined {
  const format = info.metadata[ENCRYPTION_METADATA.format];
  if (format === undefined) return undefined;
  const keyId = info.metadata[ENCRYPTION_METADATA.keyId];
  const wrappedKey = info.metadata[ENCRYPTION_METADATA.wrappedKey];
  if (format !== '1' && format !== '2') throw IntegrityError.corrupted(info.key, `unknown encryption format ${JSON.stringify(format)}`);
  if (keyId === undefined || wrappedKey === undefined) throw IntegrityError.corrupted(info.key, 'incomplete encryption metadata');
  if (format === '1') {
    const sha256 = info.metadata[ENCRYPTION_METADATA.sha256];
    if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) throw IntegrityError.corrupted(info.key, 'incomplete encryption metadata');
    return { format, keyId, wrappedKey, sha256 };
  }
  const sealedSha256 = info.metadata[ENCRYPTION_METADATA.sealedSha256];
  if (sealedSha256 === undefined || !SEALED_SHA256.test(sealedSha256)) throw IntegrityError.corrupted(info.key, 'incomplete encryption metadata');
  return { format, keyId, wrappedKey, sealedSha256 };
}

/** The reserved metadata that describes `encryption`. */
export function reservedMetadataOf(encryption: EncryptionDescription): Record<string, string> {
  const common = { [ENCRYPTION_METADATA.format]: encryption.format, [ENCRYPTION_METADATA.keyId]: encryption.keyId, [ENCRYPTION_METADATA.wrappedKey]: encryption.wrappedKey };
  return encryption.format === '1' ? { ...common, [ENCRYPTION_METADATA.sha256]: encryption.sha256 } : { ...common, [ENCRYPTION_METADATA.sealedSha256]: encryption.sealedSha256 };
}

/**
 * What a wrapped data key is bound to: format, segment size (and head size), object key and master
 * key id; in format 1 also the plaintext's SHA-256 (in format 2 it is sealed under the data key).
 * The size is not: a truncated object must fail as such, in its segments.
 */
export function wrapContext(key: string, keyId: string, encryption: { format: '1'; sha256: string } | { format: '2' }): Buffer {
  const context =
    encryption.format === '1'
      ? `docstore-enc/1\u0000${SEGMENT_BYTES}\u0000${key}\u0000${keyId}\u0000${encryption.sha256}`
      : `docstore-enc/2\u0000${SEGMENT_BYTES}\u0000${HEAD_BYTES}\u0000${key}\u0000${keyId}`;
  return Buffer.from(context, 'utf8');
}

/** Bytes stored for a plaintext of `plaintextBytes` in the current format. */
export function storedSize(plaintextBytes: number): number {
  return HEAD_BYTES + ciphertextSize(plaintextBytes);
}

/** Offset of the first segment in a stored object of `format`. */
export function segmentsStart(format: '1' | '2'): number {
  return format === '1' ? 0 : HEAD_BYTES;
}

/** The plaintext size of a stored object of `format` and `storedBytes`, or undefined when no plaintext has that size. */
export function plaintextSizeOf(format: '1' | '2', storedBytes: number): number | undefined {
  return plaintextSize(storedBytes - segmentsStart(format));
}

/** Seals a description into a head; one that does not fit raises `InvalidArgument` (before anything is stored). */
export function sealHead(dataKey: Buffer, description: SealedDescription): Buffer {
  const json = Buffer.from(JSON.stringify(description), 'utf8');
  if (json.length > MAX_DESCRIPTION_BYTES) {
    throw InvalidArgument.because('contentType, contentDisposition and metadata', `${json.length} bytes as JSON, more than the ${MAX_DESCRIPTION_BYTES} an encrypted object holds`);
  }
  const plaintext = Buffer.alloc(HEAD_BYTES - TAG_BYTES);
  plaintext.writeUInt32BE(json.length, 0);
  json.copy(plaintext, LENGTH_BYTES);
  const cipher = createCipheriv('aes-256-gcm', descriptionKey(dataKey), HEAD_NONCE);
  cipher.setAAD(Buffer.from('docstore-enc/2 head'));
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Opens a head; a damaged or foreign one raises `IntegrityError`. */
export function openHead(dataKey: Buffer, head: Buffer, key: string): SealedDescription {
  if (head.length !== HEAD_BYTES) throw IntegrityError.corrupted(key, 'the encrypted head is truncated');
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', descriptionKey(dataKey), HEAD_NONCE);
    decipher.setAAD(Buffer.from('docstore-enc/2 head'));
    decipher.setAuthTag(head.subarray(HEAD_BYTES - TAG_BYTES));
    plaintext = Buffer.concat([decipher.update(head.subarray(0, HEAD_BYTES - TAG_BYTES)), decipher.final()]);
  } catch (error) {
    throw IntegrityError.corrupted(key, 'the encrypted head fails authentication', { cause: error });
  }
  const length = plaintext.readUInt32BE(0);
  let parsed: unknown;
  try {
    parsed = length <= MAX_DESCRIPTION_BYTES ? JSON.parse(plaintext.subarray(LENGTH_BYTES, LENGTH_BYTES + length).toString('utf8')) : undefined;
  } catch (error) {
    throw IntegrityError.corrupted(key, 'the encrypted head does not hold a description', { cause: error });
  }
  if (!isDescription(parsed)) throw IntegrityError.corrupted(key, 'the encrypted head does not hold a description');
  return parsed;
}

/** The plaintext SHA-256 (lower-case hex) sealed for the reserved metadata: base64 of 48 bytes. */
export function sealSha256(dataKey: Buffer, sha256: string): string {
  const cipher = createCipheriv('aes-256-gcm', descriptionKey(dataKey), SHA256_NONCE);
  cipher.setAAD(Buffer.from('docstore-enc/2 sha256'));
  return Buffer.concat([cipher.update(Buffer.from(sha256, 'hex')), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

export function openSha256(dataKey: Buffer, sealed: string, key: string): string {
  const bytes = Buffer.from(sealed, 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', descriptionKey(dataKey), SHA256_NONCE);
    decipher.setAAD(Buffer.from('docstore-enc/2 sha256'));
    decipher.setAuthTag(bytes.subarray(32));
    return Buffer.concat([decipher.update(bytes.subarray(0, 32)), decipher.final()]).toString('hex');
  } catch (error) {
    throw IntegrityError.corrupted(key, 'the sealed SHA-256 fails authentication', { cause: error });
  }
}

/**
 * The key sealing an object's head and SHA-256, derived from its data key (which seals only
 * segments, with nonces of their own). One head and one SHA-256 are ever sealed per data key
 * (copies and re-wrapping keep both as they are), so their fixed nonces are never reused.
 */
function descriptionKey(dataKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'docstore-enc/2 description', 32));
}

function isDescription(value: unknown): value is SealedDescription {
  if (typeof value !== 'object' || value === null) return false;
  const { contentType, contentDisposition, metadata } = value as Record<string, unknown>;
  return (
    typeof contentType === 'string' &&
    (contentDisposition === undefined || typeof contentDisposition === 'string') &&
    typeof metadata === 'object' &&
    metadata !== null &&
    Object.values(metadata).every((entry) => typeof entry === 'string')
  );
}
