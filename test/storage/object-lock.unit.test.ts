import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import { LATEST_RETAIN_UNTIL, PERMANENT_LOCK_YEARS, permanentLockUntil } from '../../src/storage/object-storage.js';
import { requestedLock, strongerLock } from '../../src/storage/s3/s3-object-lock.js';
import { isStorageError } from '../../src/storage/storage-errors.js';

const S3 = { STORAGE_BACKEND: 's3', S3_BUCKET: 'archive', S3_ACCESS_KEY: 'access', S3_SECRET_KEY: 'secret' };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return isStorageError(error) ? error.code : String(error);
}

describe('Object Lock on the local disk', () => {
  let root: string;
  let storage: LocalObjectStorage;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'docstore-lock-'));
    storage = await LocalObjectStorage.open({ root: join(root, 'objects') });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is refused with storage.object_lock_unsupported, saying why, before anything is written', async () => {
    const until = new Date(Date.now() + 60_000);
    expect(storage.capabilities.objectLock).toBe(false);
    expect(await codeOf(storage.put('a/locked', 'x', { retainUntil: until }))).toBe('storage.object_lock_unsupported');
    expect(await codeOf(storage.put('a/held', 'x', { legalHold: true }))).toBe('storage.object_lock_unsupported');
    expect(await readdir(join(root, 'objects'))).toEqual(['\\tmp']);
    await storage.put('a/plain', 'x');
    expect(await codeOf(storage.copy('a/plain', 'a/copy', { retainUntil: until }))).toBe('storage.object_lock_unsupported');
    expect(await codeOf(storage.extendRetention('a/plain', until))).toBe('storage.object_lock_unsupported');
    const error = await storage.setLegalHold('a/plain', true).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('root');
    expect(await storage.exists('a/copy')).toBe(false);
  });

  it('a legal hold of false and no date ask for nothing, and are accepted', async () => {
    await storage.put('a/unlocked', 'x', { legalHold: false });
    expect(await storage.exists('a/unlocked')).toBe(true);
  });
});

describe('S3_OBJECT_LOCK', () => {
  it('is off by default, governance or compliance with S3, refused with the local disk or another value', () => {
    expect(loadConfig(S3).storage).not.toHaveProperty('objectLock');
    expect(loadConfig({ ...S3, S3_OBJECT_LOCK: 'off' }).storage).not.toHaveProperty('objectLock');
    expect(loadConfig({ ...S3, S3_OBJECT_LOCK: 'compliance' }).storage).toMatchObject({ objectLock: 'compliance' });
    expect(loadConfig({ ...S3, S3_OBJECT_LOCK: 'governance' }).storage).toMatchObject({ objectLock: 'governance' });
    for (const env of [{ S3_OBJECT_LOCK: 'governance' }, { ...S3, S3_OBJECT_LOCK: 'yes' }]) {
      const error = (() => {
        try {
          loadConfig(env);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((issue) => issue.variable)).toEqual(['S3_OBJECT_LOCK']);
    }
  });
});

describe('the lock of a permanent document', () => {
  it('ends 100 years after its upload, 29 February giving 1 March in a year without one', () => {
    expect(PERMANENT_LOCK_YEARS).toBe(100);
    expect(permanentLockUntil(new Date('2026-12-05T08:00:00Z'))).toEqual(new Date('2126-12-05T08:00:00Z'));
    expect(permanentLockUntil(new Date('2028-02-29T12:00:00Z'))).toEqual(new Date('2128-02-29T12:00:00Z'));
    // 2100 is not a leap year.
    expect(permanentLockUntil(new Date('2000-02-29T12:00:00Z'))).toEqual(new Date('2100-03-01T12:00:00Z'));
  });
});

describe('the lock a write asks for', () => {
  const now = new Date('2026-12-05T08:00:00Z');
  it('drops a date not after now, keeps a hold, refuses what is not a date or a boolean', () => {
    expect(requestedLock({}, now)).toBeUndefined();
    expect(requestedLock({ retainUntil: now, legalHold: false }, now)).toBeUndefined();
    expect(requestedLock({ retainUntil: new Date('2036-01-01T00:00:00Z') }, now)).toEqual({ retainUntil: new Date('2036-01-01T00:00:00Z'), legalHold: false });
    expect(requestedLock({ retainUntil: new Date(0), legalHold: true }, now)).toEqual({ legalHold: true });
    // Past 2106-02-07T06:28:15Z (unsigned 32-bit seconds, which RGW 16 wraps into the past): that date.
    expect(requestedLock({ retainUntil: new Date('2126-12-05T08:00:00Z') }, now)).toEqual({ retainUntil: LATEST_RETAIN_UNTIL, legalHold: false });
    expect(LATEST_RETAIN_UNTIL).toEqual(new Date((2 ** 32 - 1) * 1000));
    expect(() => requestedLock({ retainUntil: new Date('nonsense') }, now)).toThrow(/retainUntil/);
    expect(() => requestedLock({ legalHold: 'yes' as unknown as boolean }, now)).toThrow(/legalHold/);
  });

  it('a copy takes the later date and either hold', () => {
    const later = new Date(Date.now() + 3_600_000);
    const sooner = new Date(Date.now() + 60_000);
    expect(strongerLock({ retainUntil: sooner, legalHold: false }, { retainUntil: later, legalHold: true })).toEqual({ retainUntil: later, legalHold: true });
    expect(strongerLock(undefined, { legalHold: false })).toBeUndefined();
    expect(strongerLock({ retainUntil: later, legalHold: false }, undefined)).toEqual({ retainUntil: later, legalHold: false });
  });
});
