import { describe, expect, it } from 'vitest';
import { compareKeys, normalizeKey, normalizePrefix } from '../../src/storage/object-key.js';
import { InvalidKey } from '../../src/storage/storage-errors.js';
import { INVALID_KEYS, SPECIAL_KEYS } from './object-storage.conformance.js';

describe('normalizeKey', () => {
  it('accepts the special keys unchanged', () => {
    for (const key of SPECIAL_KEYS) expect(normalizeKey(key)).toBe(key);
  });

  it('normalises to NFC', () => {
    expect(normalizeKey('e\u0301te\u0301')).toBe('\u00e9t\u00e9');
  });

  it('rejects every invalid key with InvalidKey and a reason', () => {
    for (const key of INVALID_KEYS) {
      expect(() => normalizeKey(key), JSON.stringify(key)).toThrow(InvalidKey);
    }
  });

  it('counts the 1024-byte limit in UTF-8 bytes after NFC', () => {
    const nfdLong = 'e\u0301'.repeat(400); // 1200 bytes as NFD, 800 as NFC
    expect(Buffer.byteLength(normalizeKey(`a/${nfdLong.slice(0, 240)}`))).toBeLessThanOrEqual(1024);
    expect(() => normalizeKey('a/'.repeat(400) + 'b'.repeat(300))).toThrow(InvalidKey);
  });
});

describe('normalizePrefix', () => {
  it('accepts empty, partial and trailing-slash prefixes', () => {
    expect(normalizePrefix(undefined)).toBe('');
    expect(normalizePrefix('org/bui')).toBe('org/bui');
    expect(normalizePrefix('org/')).toBe('org/');
    expect(normalizePrefix('.')).toBe('.');
  });

  it('rejects prefixes no key could start with', () => {
    for (const prefix of ['/x', 'a//b', '../', 'a\\b', 'a\u0000']) expect(() => normalizePrefix(prefix)).toThrow(InvalidKey);
  });
});

describe('compareKeys', () => {
  it('orders by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F4C4 (F0 9F 93 84) in UTF-8,
    // while in UTF-16 the surrogate D83D sorts before FF5E.
    expect(['\u{1F4C4}', '\uFF5E'].sort(compareKeys)).toEqual(['\uFF5E', '\u{1F4C4}']);
    expect(['a/', 'a-c', 'a'].sort(compareKeys)).toEqual(['a', 'a-c', 'a/']);
  });

  it('agrees with a comparison of the UTF-8 bytes on keys mixing every range of code points', () => {
    // ASCII, 2-byte, the ends of the ranges around the surrogates, 3-byte after them, 4-byte (surrogate pairs).
    const alphabet = ['a', 'b', '/', '-', 'é', '\u07FF', '\u0800', '\uD7FF', '\uE000', '\uFF5E', '\uFFFD', '\uFFFF', '\u{10000}', '\u{1F4C4}', '\u{1F4C5}', '\u{10FFFF}'];
    let seed = 7;
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % below;
    };
    const keyOf = () => Array.from({ length: 1 + random(5) }, () => alphabet[random(alphabet.length)]).join('');
    for (let i = 0; i < 20_000; i++) {
      const [a, b] = [keyOf(), keyOf()];
      expect(compareKeys(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    }
  });
});
