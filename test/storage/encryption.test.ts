import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEGMENT_BYTES, TAG_BYTES, ciphertextSize } from '../../src/storage/encrypted-segments.js';
import { EncryptingObjectStorage } from '../../src/storage/encrypting-object-storage.js';
import { MasterKeyring } from '../../src/storage/master-keyring.js';
import { encryptExisting, keyStatus, rotateMasterKey } from '../../src/storage/master-key-maintenance.js';
import type { ByteRange, GetOptions, ObjectStorage } from '../../src/storage/object-storage.js';
import { isStorageError, type StorageErrorCode } from '../../src/storage/storage-errors.js';
import { encryptedFixture, masterKey, type EncryptedFixture } from '../support/encryption-fixtures.js';
import { bytesOf, randomPrefix, readAll, sha256, streamOf } from '../support/streams.js';

const MiB = 1024 * 1024;
const SEALED = SEGMENT_BYTES + TAG_BYTES;

async function codeOf(promise: Promise<unknown>): Promise<StorageErrorCode | unknown> {
  return promise.then(
    () => 'no error',
    (error: unknown) => (isStorageError(error) ? error.code : error),
  );
}

/** Reads a body to its end, returning the bytes delivered before any failure and the failure's code. */
async function drain(storage: ObjectStorage, key: string): Promise<{ delivered: Buffer; code: unknown }> {
  const chunks: Buffer[] = [];
  try {
    const { body } = await storage.get(key);
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return { delivered: Buffer.concat(chunks), code: 'no error' };
  } catch (error) {
    return { delivered: Buffer.concat(chunks), code: isStorageError(error) ? error.code : error };
  }
}

/** Rewrites an object's stored ciphertext through the inner storage, keeping its encryption metadata. */
async function tamper(inner: ObjectStorage, key: string, change: (ciphertext: Buffer) => Buffer, metadataFrom = key): Promise<void> {
  const ciphertext = await readAll((await inner.get(key)).body);
  const described = await inner.stat(metadataFrom);
  const user = Object.fromEntries(Object.entries(described.metadata).filter(([name]) => !name.startsWith('docstore-')));
  const reserved = Object.fromEntries(Object.entries(described.metadata).filter(([name]) => name.startsWith('docstore-')));
  await inner.put(key, change(Buffer.from(ciphertext)), { metadata: user, systemMetadata: () => reserved });
}

/** An inner storage that records the ranges asked of it (and the bytes it handed out). */
function recording(inner: ObjectStorage): { storage: ObjectStorage; gets: Array<{ range?: ByteRange; bytes: number }> } {
  const gets: Array<{ range?: ByteRange; bytes: number }> = [];
  const storage = Object.create(inner) as ObjectStorage;
  storage.get = async (key: string, options?: GetOptions) => {
    const result = await inner.get(key, options);
    const record: { range?: ByteRange; bytes: number } = { ...(options?.range === undefined ? {} : { range: options.range }), bytes: 0 };
    gets.push(record);
    result.body.on('data', (chunk: Buffer) => {
      record.bytes += chunk.length;
    });
    return result;
  };
  return { storage, gets };
}

for (const backend of ['local', 's3'] as const) {
  describe(`client-side encryption around ${backend}`, () => {
    let fixture: EncryptedFixture;
    const k1 = masterKey('k1');
    const k2 = masterKey('k2');
    beforeAll(async () => {
      fixture = await encryptedFixture(backend, [k1], 'k1');
    }, 60_000);
    afterAll(async () => fixture?.close());

    it('stores ciphertext: the inner object differs from the plaintext, is 16 bytes per segment larger and carries the wrapped key', async () => {
      const key = `${randomPrefix()}/secret.pdf`;
      const plaintext = bytesOf(3 * SEGMENT_BYTES + 10, 1);
      await fixture.storage.put(key, plaintext, { metadata: { building: 'A' } });
      const stored = await readAll((await fixture.inner.get(key)).body);
      expect(stored.length).toBe(ciphertextSize(plaintext.length));
      expect(stored.length).toBe(plaintext.length + 4 * TAG_BYTES);
      expect(stored.includes(plaintext.subarray(0, 64))).toBe(false);
      const inner = await fixture.inner.stat(key);
      expect(inner.metadata).toMatchObject({ building: 'A', 'docstore-enc': '1', 'docstore-enc-key-id': 'k1' });
      expect(JSON.stringify(inner.metadata)).not.toContain(k1.key.toString('base64'));
      const stat = await fixture.storage.stat(key);
      expect(stat).toMatchObject({ size: plaintext.length, sha256: sha256(plaintext), metadata: { building: 'A' } });
      const listed = [];
      for await (const entry of fixture.storage.list({ prefix: key })) listed.push(entry);
      expect(listed).toEqual([expect.objectContaining({ key, size: plaintext.length })]);
      expect(listed[0]).not.toHaveProperty('sha256');
    });

    describe('tampering is detected, never returned as content', () => {
      const plaintext = bytesOf(4 * SEGMENT_BYTES + 1000, 2);
      let key: string;
      beforeAll(async () => {
        key = `${randomPrefix()}/doc`;
      });

      it('a flipped byte in the first segment: storage.integrity before any byte is delivered', async () => {
        await fixture.storage.put(key, plaintext);
        await tamper(fixture.inner, key, (c) => {
          c[100] = (c[100] as number) ^ 0x01;
          return c;
        });
        const read = await drain(fixture.storage, key);
        expect(read).toEqual({ delivered: Buffer.alloc(0), code: 'storage.integrity' });
      });

      it('a flipped byte in a later segment: the authentic segments before it, then storage.integrity', async () => {
        await fixture.storage.put(key, plaintext);
        await tamper(fixture.inner, key, (c) => {
          c[2 * SEALED + 5] = (c[2 * SEALED + 5] as number) ^ 0x80;
          return c;
        });
        const read = await drain(fixture.storage, key);
        expect(read.code).toBe('storage.integrity');
        expect(read.delivered.length).toBeLessThanOrEqual(2 * SEGMENT_BYTES);
        expect(read.delivered.equals(plaintext.subarray(0, read.delivered.length))).toBe(true);
      });

      it('a flipped tag byte, a truncated object, a dropped last segment, an appended segment, swapped segments', async () => {
        const changes: Record<string, (c: Buffer) => Buffer> = {
          'flipped tag': (c) => {
            c[2 * SEALED - 1] = (c[2 * SEALED - 1] as number) ^ 0x01;
            return c;
          },
          'truncated by 100 bytes': (c) => c.subarray(0, c.length - 100),
          'last segment dropped': (c) => c.subarray(0, 4 * SEALED),
          'a full segment appended': (c) => Buffer.concat([c, c.subarray(0, SEALED)]),
          'segments 1 and 2 swapped': (c) => Buffer.concat([c.subarray(0, SEALED), c.subarray(2 * SEALED, 3 * SEALED), c.subarray(SEALED, 2 * SEALED), c.subarray(3 * SEALED)]),
        };
        for (const [name, change] of Object.entries(changes)) {
          await fixture.storage.put(key, plaintext);
          await tamper(fixture.inner, key, change);
          const read = await drain(fixture.storage, key);
          expect({ name, code: read.code }).toEqual({ name, code: 'storage.integrity' });
          expect(read.delivered.equals(plaintext.subarray(0, read.delivered.length)), name).toBe(true);
          // A range that touches only untouched segments still reads; one that touches the damage fails.
          const damaged = name === 'flipped tag' || name.startsWith('segments') ? { start: SEGMENT_BYTES + 10, end: SEGMENT_BYTES + 20 } : { suffix: 10 };
          const ranged = await codeOf(fixture.storage.get(key, { range: damaged }).then(async (got) => readAll(got.body)));
          expect({ name, ranged }).toEqual({ name, ranged: 'storage.integrity' });
        }
      });

      it('an object truncated to one empty segment, and an empty object with a damaged tag: storage.integrity, not an empty body', async () => {
        await fixture.storage.put(key, plaintext);
        await tamper(fixture.inner, key, (c) => c.subarray(0, TAG_BYTES));
        expect(await drain(fixture.storage, key)).toEqual({ delivered: Buffer.alloc(0), code: 'storage.integrity' });
        await fixture.storage.put(key, '');
        await tamper(fixture.inner, key, (c) => {
          c[0] = (c[0] as number) ^ 0x01;
          return c;
        });
        expect(await drain(fixture.storage, key)).toEqual({ delivered: Buffer.alloc(0), code: 'storage.integrity' });
      });

      it('a wrapped key moved from another object: storage.key_unavailable', async () => {
        const other = `${key}-other`;
        await fixture.storage.put(key, plaintext);
        await fixture.storage.put(other, 'another document');
        await tamper(fixture.inner, other, (c) => c, key);
        expect((await drain(fixture.storage, other)).code).toBe('storage.key_unavailable');
      });

      it('a missing or a wrong master key: storage.key_unavailable, stat still works', async () => {
        await fixture.storage.put(key, plaintext);
        const missing = fixture.withKeys([k2], 'k2');
        expect(await codeOf(missing.get(key))).toBe('storage.key_unavailable');
        expect(await codeOf(missing.get(key, { range: { start: 0, end: 9 } }))).toBe('storage.key_unavailable');
        expect((await missing.stat(key)).size).toBe(plaintext.length);
        const wrong = fixture.withKeys([{ id: 'k1', key: k2.key }], 'k1');
        const error = await wrong.get(key).catch((caught: unknown) => caught);
        expect(isStorageError(error) && error.code).toBe('storage.key_unavailable');
        expect(JSON.stringify({ message: (error as Error).message, context: (error as { context: unknown }).context })).not.toContain(k2.key.toString('base64'));
      });
    });

    it('a range read asks the inner storage for the needed segments only', async () => {
      const key = `${randomPrefix()}/ranged`;
      const plaintext = bytesOf(5 * MiB, 3);
      await fixture.storage.put(key, plaintext);
      const { storage: inner, gets } = recording(fixture.inner);
      const storage = new EncryptingObjectStorage(inner, new MasterKeyring([k1], 'k1'));
      const start = MiB + 100;
      const got = await storage.get(key, { range: { start, end: start + 64 * 1024 - 1 } });
      expect((await readAll(got.body)).equals(plaintext.subarray(start, start + 64 * 1024))).toBe(true);
      const first = Math.floor(start / SEGMENT_BYTES);
      expect(gets).toEqual([{ range: { start: first * SEALED, end: (first + 2) * SEALED - 1 }, bytes: 2 * SEALED }]);
      gets.length = 0;
      const tail = await storage.get(key, { range: { suffix: 1000 } });
      expect(await readAll(tail.body)).toEqual(plaintext.subarray(plaintext.length - 1000));
      expect(gets).toHaveLength(1);
      expect(gets[0]?.bytes).toBeLessThanOrEqual(2 * SEALED);
    });

    it('rotation under concurrent reads: every read succeeds, a second run finds nothing to do, the old key can then be retired', async () => {
      const prefix = randomPrefix();
      const contents = Array.from({ length: 24 }, (_, i) => bytesOf(i % 3 === 0 ? 300 * 1024 : 1000 + i, 100 + i));
      await Promise.all(contents.map((content, i) => fixture.storage.put(`${prefix}/doc-${i}`, i % 2 === 0 ? content : streamOf(content))));
      const both = fixture.withKeys([k1, k2], 'k2');
      expect(await keyStatus(both, ['k2', 'k1'], 'k2', { prefix })).toMatchObject({ objects: 24, byKeyId: { k1: 24 }, plaintext: 0, retirable: [], missing: [] });
      let rotating = true;
      let reads = 0;
      const reader = (async () => {
        while (rotating) {
          await Promise.all(
            contents.map(async (content, i) => {
              const got = await both.get(`${prefix}/doc-${i}`);
              expect(sha256(await readAll(got.body))).toBe(sha256(content));
              reads++;
            }),
          );
        }
      })();
      const first = await rotateMasterKey(both, { prefix, concurrency: 4 });
      rotating = false;
      await reader;
      expect(reads).toBeGreaterThan(0);
      expect(first).toMatchObject({ objects: 24, actions: { rewrapped: 24 }, failed: [] });
      expect(await rotateMasterKey(both, { prefix })).toMatchObject({ objects: 24, actions: { current: 24 }, failed: [] });
      expect(await keyStatus(both, ['k2', 'k1'], 'k2', { prefix })).toMatchObject({ byKeyId: { k2: 24 }, retirable: ['k1'] });
      const retired = fixture.withKeys([k2], 'k2');
      for (const [i, content] of contents.entries()) {
        const got = await retired.get(`${prefix}/doc-${i}`);
        expect(sha256(await readAll(got.body))).toBe(sha256(content));
        expect((await retired.stat(`${prefix}/doc-${i}`)).sha256).toBe(sha256(content));
      }
      expect(await codeOf(fixture.withKeys([k1], 'k1').get(`${prefix}/doc-0`))).toBe('storage.key_unavailable');
    }, 120_000);

    it('rotation and copies move no content through docstore: the inner storage copies, only the wrapped key changes', async () => {
      const prefix = randomPrefix();
      const content = bytesOf(6 * MiB + 5, 9);
      await fixture.storage.put(`${prefix}/large`, content);
      const before = await fixture.inner.stat(`${prefix}/large`);
      const { storage: inner, gets } = recording(fixture.inner);
      const rotating = new EncryptingObjectStorage(inner, new MasterKeyring([k1, k2], 'k2'));
      expect(await rotating.rewrap(`${prefix}/large`)).toBe('rewrapped');
      await rotating.copy(`${prefix}/large`, `${prefix}/copied`);
      expect(gets).toEqual([]);
      const after = await fixture.inner.stat(`${prefix}/large`);
      expect(after.sha256).toBe(before.sha256);
      expect(after.metadata['docstore-enc-key-id']).toBe('k2');
      const retired = fixture.withKeys([k2], 'k2');
      for (const name of ['large', 'copied']) expect(sha256(await readAll((await retired.get(`${prefix}/${name}`)).body)), name).toBe(sha256(content));
    }, 60_000);

    it('a rotation bound to the version it read: an object replaced meanwhile is not re-wrapped with the old data key', async () => {
      const key = `${randomPrefix()}/replaced`;
      await fixture.storage.put(key, 'first version');
      const both = fixture.withKeys([k1, k2], 'k2');
      const inner = Object.create(fixture.inner) as ObjectStorage;
      // Another writer replaces the object between the rotation's stat and its copy.
      inner.copy = async (source, destination, options) => {
        await fixture.storage.put(key, 'second version, under k1');
        return fixture.inner.copy(source, destination, options);
      };
      const racing = new EncryptingObjectStorage(inner, new MasterKeyring([k1, k2], 'k2'));
      expect(await codeOf(racing.rewrap(key))).toBe('storage.precondition_failed');
      expect((await readAll((await both.get(key)).body)).toString()).toBe('second version, under k1');
      expect(await both.rewrap(key)).toBe('rewrapped');
      expect((await readAll((await fixture.withKeys([k2], 'k2').get(key)).body)).toString()).toBe('second version, under k1');
    });

    it('an interrupted rotation resumes: objects already re-wrapped are skipped', async () => {
      const prefix = randomPrefix();
      for (let i = 0; i < 6; i++) await fixture.storage.put(`${prefix}/doc-${i}`, `document ${i}`);
      const both = fixture.withKeys([k1, k2], 'k2');
      await both.rewrap(`${prefix}/doc-0`);
      await both.rewrap(`${prefix}/doc-3`);
      expect(await rotateMasterKey(both, { prefix })).toMatchObject({ actions: { current: 2, rewrapped: 4 }, failed: [] });
    });

    it('a mixed bucket: plaintext objects stay readable (whole and ranged), encrypt-existing converts them in place', async () => {
      const prefix = randomPrefix();
      const old = bytesOf(200 * 1024, 7);
      await fixture.inner.put(`${prefix}/old`, old, { contentType: 'application/pdf', metadata: { building: 'B' } });
      await fixture.storage.put(`${prefix}/new`, 'written encrypted');
      expect(sha256(await readAll((await fixture.storage.get(`${prefix}/old`)).body))).toBe(sha256(old));
      const ranged = await fixture.storage.get(`${prefix}/old`, { range: { start: 70_000, end: 70_099 } });
      expect(await readAll(ranged.body)).toEqual(old.subarray(70_000, 70_100));
      expect(await keyStatus(fixture.storage, ['k1'], 'k1', { prefix })).toMatchObject({ objects: 2, plaintext: 1, byKeyId: { k1: 1 } });
      expect(await encryptExisting(fixture.storage, { prefix })).toMatchObject({ objects: 2, actions: { encrypted: 1, 'encrypted-already': 1 }, failed: [] });
      const stored = await readAll((await fixture.inner.get(`${prefix}/old`)).body);
      expect(stored.length).toBe(ciphertextSize(old.length));
      expect(await fixture.storage.stat(`${prefix}/old`)).toMatchObject({ size: old.length, sha256: sha256(old), contentType: 'application/pdf', metadata: { building: 'B' } });
      expect(sha256(await readAll((await fixture.storage.get(`${prefix}/old`)).body))).toBe(sha256(old));
      expect(await keyStatus(fixture.storage, ['k1'], 'k1', { prefix })).toMatchObject({ plaintext: 0, byKeyId: { k1: 2 } });
    });

    it('with plaintext objects not allowed: stripped encryption metadata fails as storage.integrity, never serving ciphertext', async () => {
      const prefix = randomPrefix();
      const strict = new EncryptingObjectStorage(fixture.inner, new MasterKeyring([k1], 'k1'), { allowPlaintext: false });
      await strict.put(`${prefix}/doc`, bytesOf(100_000, 11));
      expect(sha256(await readAll((await strict.get(`${prefix}/doc`)).body))).toBe(sha256(bytesOf(100_000, 11)));
      const ciphertext = await readAll((await fixture.inner.get(`${prefix}/doc`)).body);
      await fixture.inner.put(`${prefix}/doc`, ciphertext);
      for (const attempt of [
        () => strict.get(`${prefix}/doc`),
        () => strict.get(`${prefix}/doc`, { range: { start: 0, end: 9 } }),
        () => strict.stat(`${prefix}/doc`),
        () => strict.copy(`${prefix}/doc`, `${prefix}/copy`),
      ]) {
        expect(await codeOf(attempt())).toBe('storage.integrity');
      }
      expect(await fixture.inner.exists(`${prefix}/copy`)).toBe(false);
    });

    it('copies keep the plaintext and re-wrap the data key for the destination', async () => {
      const prefix = randomPrefix();
      const content = bytesOf(150 * 1024, 9);
      await fixture.storage.put(`${prefix}/a`, content);
      await fixture.storage.copy(`${prefix}/a`, `${prefix}/b`);
      expect(sha256(await readAll((await fixture.storage.get(`${prefix}/b`)).body))).toBe(sha256(content));
      const [a, b] = await Promise.all([fixture.inner.stat(`${prefix}/a`), fixture.inner.stat(`${prefix}/b`)]);
      expect(a.metadata['docstore-enc-data-key']).not.toBe(b.metadata['docstore-enc-data-key']);
    });
  });
}
