import { InvalidKey } from './storage-errors.js';

/** Longest key, in UTF-8 bytes (the S3 limit). */
export const MAX_KEY_BYTES = 1024;

/**
 * Longest key segment, in UTF-8 bytes. File systems cap a name at 255 bytes and the local adapter
 * appends a 4-byte suffix; the limit applies to every adapter so that any key can move between
 * local disk and S3.
 */
export const MAX_SEGMENT_BYTES = 250;

// C0 controls, DEL and C1 controls.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * Validates a storage key and returns it normalised to NFC. The same rules apply to every adapter,
 * so a key accepted here is accepted everywhere:
 * UTF-8, 1–1024 bytes after NFC normalisation, `/`-separated segments of 1–250 bytes, no `.` or `..`
 * segment, no leading, trailing or doubled `/`, no backslash, no control characters.
 * An invalid key raises {@link InvalidKey}; a key is never silently rewritten except for NFC.
 */
export function normalizeKey(key: unknown): string {
  if (typeof key !== 'string') throw InvalidKey.because(String(key), 'a key must be a string');
  if (!key.isWellFormed()) throw InvalidKey.because(key, 'contains a lone surrogate (not valid UTF-8)');
  const normalized = key.normalize('NFC');
  if (normalized.length === 0) throw InvalidKey.because(key, 'is empty');
  const bytes = Buffer.byteLength(normalized, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw InvalidKey.because(key, `is ${bytes} bytes long, more than ${MAX_KEY_BYTES}`);
  assertAllowedCharacters(normalized, key);
  if (normalized.startsWith('/')) throw InvalidKey.because(key, 'starts with "/"');
  for (const segment of normalized.split('/')) assertValidSegment(segment, key);
  return normalized;
}

/**
 * Validates a listing prefix and returns it normalised to NFC. The empty prefix lists everything.
 * Complete segments follow the key rules; the last one may be empty (a trailing `/`) or partial.
 */
export function normalizePrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string') throw InvalidKey.because(String(prefix), 'a prefix must be a string');
  if (!prefix.isWellFormed()) throw InvalidKey.because(prefix, 'contains a lone surrogate (not valid UTF-8)');
  const normalized = prefix.normalize('NFC');
  if (Buffer.byteLength(normalized, 'utf8') > MAX_KEY_BYTES) {
    throw InvalidKey.because(prefix, `is longer than ${MAX_KEY_BYTES} bytes`);
  }
  assertAllowedCharacters(normalized, prefix);
  if (normalized.startsWith('/')) throw InvalidKey.because(prefix, 'starts with "/"');
  const segments = normalized.split('/');
  segments.pop();
  for (const segment of segments) assertValidSegment(segment, prefix);
  return normalized;
}

/**
 * Compares two keys by their UTF-8 bytes: the order S3 lists in and every adapter follows.
 * Returns -1, 0 or 1. Computed on the UTF-16 code units, without encoding: UTF-8 byte order is
 * code point order, which differs from code unit order only between a surrogate (part of a code
 * point above U+FFFF) and a unit from U+E000 to U+FFFF, so the first differing units are moved
 * into code point order before they are compared.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x !== y) return inCodePointOrder(x) < inCodePointOrder(y) ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** A UTF-16 code unit mapped so that units compare in code point order: surrogates above U+E000–U+FFFF. */
function inCodePointOrder(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}

function assertAllowedCharacters(normalized: string, original: string): void {
  if (normalized.includes('\\')) throw InvalidKey.because(original, 'contains a backslash');
  if (CONTROL_CHARACTER.test(normalized)) throw InvalidKey.because(original, 'contains a control character');
}

function assertValidSegment(segment: string, original: string): void {
  if (segment === '') throw InvalidKey.because(original, 'contains an empty segment (leading, trailing or doubled "/")');
  if (segment === '.' || segment === '..') throw InvalidKey.because(original, `contains a "${segment}" segment`);
  if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
    throw InvalidKey.because(original, `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
}
