import { Transform, pipeline, type TransformCallback } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEAD_BYTES, storedSize } from '../../src/storage/encryption/encrypted-envelope.js';
import { SEGMENT_BYTES, TAG_BYTES, ciphertextSize } from '../../src/storage/encryption/encrypted-segments.js';
import { EncryptingObjectStorage } from '../../src/storage/encryption/encrypting-object-storage.js';
import { MasterKeyring } from '../../src/storage/encryption/master-keyring.js';
import { encryptExisting, keyStatus, rotateMasterKey } from '../../src/storage/encryption/master-key-maintenance.js';
import type { ByteRange, GetOptions, ObjectStorage } from '../../src/storage/object-storage.js';
import { isStorageError, type StorageErrorCode } from '../../src/storage/storage-errors.js';
import { contentDisposition } from '../../src/shared/file-name.js';
import { mirror } from '../../src/sync/mirror.js';
import { verify } from '../../src/sync/verify.js';
import { encryptedFixture, masterKey, putFormatOne, type EncryptedFixture } from '../support/encryption-fixtures.js';
import { localFixture } from '../support/storage-fixtures.js';
import { bytesOf, randomPrefix, readAll, sha256, streamOf } from '../support/streams.js';

const MiB = 1024 * 1024;
const SEALED = SEGMENT_BYTES + TAG_BYTES;
/** Where the segments start in a stored object (after the sealed head). */
const HEAD = HEAD_BYTES;

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
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        record.bytes += chunk.length;
        callback(null, chunk);
      },
    });
    return { ...result, body: pipeline(result.body, counter, () => undefined) };
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

    it('stores ciphertext: the inner object differs from the plaintext, is a head and 16 bytes per segment larger and carries the wrapped key', async () => {
      const key = `${randomPrefix()}/secret.pdf`;
      const plaintext = bytesOf(3 * SEGMENT_BYTES + 10, 1);
      await fixture.storage.put(key, plaintext, { metadata: { building: 'A' } });
      const stored = await readAll((await fixture.inner.get(key)).body);
      expect(stored.length).toBe(storedSize(plaintext.length));
      expect(stored.length).toBe(HEAD + ciphertextSize(plaintext.length));
      expect(stored.length).toBe(HEAD + plaintext.length + 4 * TAG_BYTES);
      expect(stored.includes(plaintext.subarray(0, 64))).toBe(false);
      const inner = await fixture.inner.stat(key);
      expect(inner.metadata).toMatchObject({ 'docstore-enc': '2', 'docstore-enc-key-id': 'k1' });
      expect(inner.metadata).not.toHaveProperty('building');
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
          c[HEAD + 100] = (c[HEAD + 100] as number) ^ 0x01;
          return c;
        });
        const read = await drain(fixture.storage, key);
        expect(read).toEqual({ delivered: Buffer.alloc(0), code: 'storage.integrity' });
      });

      it('a flipped byte in a later segment: the authentic segments before it, then storage.integrity', async () => {
        await fixture.storage.put(key, plaintext);
        await tamper(fixture.inner, key, (c) => {
          c[HEAD + 2 * SEALED + 5] = (c[HEAD + 2 * SEALED + 5] as number) ^ 0x80;
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
            c[HEAD + 2 * SEALED - 1] = (c[HEAD + 2 * SEALED - 1] as number) ^ 0x01;
            return c;
          },
          'truncated by 100 bytes': (c) => c.subarray(0, c.length - 100),
          'last segment dropped': (c) => c.subarray(0, HEAD + 4 * SEALED),
          'a full segment appended': (c) => Buffer.concat([c, c.subarray(HEAD, HEAD + SEALED)]),
          'segments 1 and 2 swapped': (c) =>
            Buffer.concat([c.subarray(0, HEAD + SEALED), c.subarray(HEAD + 2 * SEALED, HEAD + 3 * SEALED), c.subarray(HEAD + SEALED, HEAD + 2 * SEALED), c.subarray(HEAD + 3 * SEALED)]),
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
        await tamper(fixture.inner, key, (c) => c.subarray(0, HEAD + TAG_BYTES));
        expect(await drain(fixture.storage, key)).toEqual({ delivered: Buffer.alloc(0), code: 'storage.integrity' });
        await fixture.storage.put(key, '');
        await tamper(fixture.inner, key, (c) => {
          c[HEAD] = (c[HEAD] as number) ^ 0x01;
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

      it('a damaged head, or a sealed SHA-256 taken from another object: storage.integrity, for stat too', async () => {
        await fixture.storage.put(key, plaintext);
        await tamper(fixture.inner, key, (c) => {
          c[10] = (c[10] as number) ^ 0x01;
          return c;
        });
        expect(await codeOf(fixture.storage.stat(key))).toBe('storage.integrity');
        expect((await drain(fixture.storage, key)).code).toBe('storage.integrity');
        expect(await codeOf(fixture.storage.get(key, { range: { start: 3 * SEGMENT_BYTES, end: 3 * SEGMENT_BYTES + 9 } }))).toBe('storage.integrity');
        const other = `${key}-sealed`;
        await fixture.storage.put(key, plaintext);
        await fixture.storage.put(other, 'another document');
        const described = await fixture.inner.stat(other);
        const foreign = (await fixture.inner.stat(key)).metadata['docstore-enc-sealed-sha256'] as string;
        const ciphertext = await readAll((await fixture.inner.get(other)).body);
        await fixture.inner.put(other, ciphertext, { systemMetadata: () => ({ ...described.metadata, 'docstore-enc-sealed-sha256': foreign }) });
        expect(await codeOf(fixture.storage.stat(other))).toBe('storage.integrity');
      });

      it('a missing or a wrong master key: storage.key_unavailable, also for stat; the key id is still known', async () => {
        await fixture.storage.put(key, plaintext);
        const missing = fixture.withKeys([k2], 'k2');
        expect(await codeOf(missing.get(key))).toBe('storage.key_unavailable');
        expect(await codeOf(missing.get(key, { range: { start: 0, end: 9 } }))).toBe('storage.key_unavailable');
        expect(await codeOf(missing.get(key, { range: { start: 2 * SEGMENT_BYTES, end: 2 * SEGMENT_BYTES + 9 } }))).toBe('storage.key_unavailable');
        expect(await codeOf(missing.stat(key))).toBe('storage.key_unavailable');
        expect(await missing.encryptionStateOf(key)).toEqual({ keyId: 'k1', format: '2' });
        const wrong = fixture.withKeys([{ id: 'k1', key: k2.key }], 'k1');
        const error = await wrong.get(key).catch((caught: unknown) => caught);
        expect(isStorageError(error) && error.code).toBe('storage.key_unavailable');
        expect(JSON.stringify({ message: (error as Error).message, context: (error as { context: unknown }).context })).not.toContain(k2.key.toString('base64'));
      });
    });

    it('a range read asks the inner storage for the head and the needed segments only', async () => {
      const key = `${randomPrefix()}/ranged`;
      const plaintext = bytesOf(5 * MiB, 3);
      await fixture.storage.put(key, plaintext);
      const { storage: inner, gets } = recording(fixture.inner);
      const storage = new EncryptingObjectStorage(inner, new MasterKeyring([k1], 'k1'));
      const start = MiB + 100;
      const got = await storage.get(key, { range: { start, end: start + 64 * 1024 - 1 } });
      expect((await readAll(got.body)).equals(plaintext.subarray(start, start + 64 * 1024))).toBe(true);
      const first = Math.floor(start / SEGMENT_BYTES);
      expect(gets).toHaveLength(2);
      expect(gets).toEqual(
        expect.arrayContaining([
          { range: { start: 0, end: HEAD - 1 }, bytes: HEAD },
          { range: { start: HEAD + first * SEALED, end: HEAD + (first + 2) * SEALED - 1 }, bytes: 2 * SEALED },
        ]),
      );
      gets.length = 0;
      const tail = await storage.get(key, { range: { suffix: 1000 } });
      expect(await readAll(tail.body)).toEqual(plaintext.subarray(plaintext.length - 1000));
      expect(gets).toHaveLength(2);
      expect(gets.reduce((total, get) => total + get.bytes, 0)).toBeLessThanOrEqual(HEAD + 2 * SEALED);
      // A range in the first segment, and a whole read: one request, the head coming first.
      gets.length = 0;
      const head = await storage.get(key, { range: { start: 10, end: 99 } });
      expect(await readAll(head.body)).toEqual(plaintext.subarray(10, 100));
      expect(gets).toEqual([{ range: { start: 0, end: HEAD + SEALED - 1 }, bytes: HEAD + SEALED }]);
      gets.length = 0;
      const whole = await storage.get(key);
      expect(whole.info).toMatchObject({ size: plaintext.length, sha256: sha256(plaintext) });
      expect(sha256(await readAll(whole.body))).toBe(sha256(plaintext));
      expect(gets).toEqual([{ bytes: storedSize(plaintext.length) }]);
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
      // Only the head of the copy is read, to describe it.
      expect(gets).toEqual([{ range: { start: 0, end: HEAD - 1 }, bytes: HEAD }]);
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
      expect(stored.length).toBe(storedSize(old.length));
      expect(await fixture.inner.stat(`${prefix}/old`)).toMatchObject({ contentType: 'application/octet-stream', metadata: { 'docstore-enc': '2' } });
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

    it('the backend stores no description in clear: type, disposition, metadata and SHA-256 are sealed; a description too long for the head is refused', async () => {
      const key = `${randomPrefix()}/described`;
      const plaintext = bytesOf(100_000, 21);
      const described = {
        contentType: 'application/pdf',
        contentDisposition: `attachment; filename="Dupont-lot12.pdf"; filename*=UTF-8''Dupont-lot12-%C3%A9.pdf`,
        metadata: { title: 'Litige Dupont', 'document-id': 'doc-42' },
      };
      for (const body of [plaintext, streamOf(plaintext)]) {
        await fixture.storage.put(key, body, described);
        const inner = await fixture.inner.stat(key);
        expect(inner.contentType).toBe('application/octet-stream');
        expect(inner.contentDisposition).toBeUndefined();
        expect(Object.keys(inner.metadata).sort()).toEqual(['docstore-enc', 'docstore-enc-data-key', 'docstore-enc-key-id', 'docstore-enc-sealed-sha256']);
        const clear = JSON.stringify(inner) + (await readAll((await fixture.inner.get(key)).body)).toString('latin1');
        // Needles of 6 bytes or more: a 3-byte one ("pdf") turns up by chance in 100 KB of ciphertext about once in 160 runs.
        for (const needle of ['Dupont', 'application/pdf', 'lot12.pdf', 'Litige', 'doc-42', sha256(plaintext), Buffer.from(sha256(plaintext), 'hex').toString('base64')]) expect(clear).not.toContain(needle);
        expect(await fixture.storage.stat(key)).toMatchObject({ ...described, size: plaintext.length, sha256: sha256(plaintext) });
      }
      // The longest description docstore's uploads make (a 255-character name of 4-byte characters) fits.
      const longest = { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', contentDisposition: contentDisposition(`${'📄'.repeat(300)}.pdf`), metadata: { 'document-id': 'x'.repeat(36) } };
      await fixture.storage.put(`${key}-longest`, 'x', longest);
      expect(await fixture.storage.stat(`${key}-longest`)).toMatchObject(longest);
      const long = { contentDisposition: `attachment; filename*=UTF-8''${'%F0%9F%93%84'.repeat(200)}`, metadata: { note: 'n'.repeat(1800) } };
      expect(await codeOf(fixture.storage.put(`${key}-long`, 'x', long))).toBe('storage.invalid_argument');
      expect(await fixture.inner.exists(`${key}-long`)).toBe(false);
    });

    it('objects of format 1 (description in clear) stay readable, and keys rotate converts them, resumably', async () => {
      const prefix = randomPrefix();
      const contents = [bytesOf(0, 1), bytesOf(1000, 2), bytesOf(3 * SEGMENT_BYTES + 77, 3)];
      const described = (i: number) => ({ contentType: 'application/pdf', contentDisposition: `attachment; filename="Dupont-lot12-${i}.pdf"`, metadata: { 'document-id': `doc-${i}` } });
      for (const [i, content] of contents.entries()) await putFormatOne(fixture.inner, k1, `${prefix}/old-${i}`, content, described(i));
      await fixture.storage.put(`${prefix}/new`, 'written in the current format');
      for (const [i, content] of contents.entries()) {
        const key = `${prefix}/old-${i}`;
        expect(await fixture.storage.stat(key)).toMatchObject({ ...described(i), size: content.length, sha256: sha256(content) });
        const got = await fixture.storage.get(key);
        expect(got.info).toMatchObject({ ...described(i), sha256: sha256(content) });
        expect(sha256(await readAll(got.body))).toBe(sha256(content));
        if (content.length > SEGMENT_BYTES) {
          for (const range of [{ start: SEGMENT_BYTES + 5, end: 2 * SEGMENT_BYTES + 5 }, { suffix: 100 }, { start: 10, end: 20 }]) {
            const ranged = await fixture.storage.get(key, { range });
            expect(await readAll(ranged.body), JSON.stringify(range)).toEqual(content.subarray(ranged.range?.start, (ranged.range?.end ?? 0) + 1));
          }
          await fixture.storage.copy(key, `${prefix}/copy-of-old`);
          expect(sha256(await readAll((await fixture.storage.get(`${prefix}/copy-of-old`)).body))).toBe(sha256(content));
        }
      }
      expect(await keyStatus(fixture.storage, ['k1'], 'k1', { prefix })).toMatchObject({ objects: 5, byKeyId: { k1: 5 }, earlierFormat: 4 });
      // Interrupted after one object: the next run converts the rest and leaves that one alone.
      expect(await fixture.storage.rewrap(`${prefix}/old-1`)).toBe('upgraded');
      expect(await rotateMasterKey(fixture.storage, { prefix })).toMatchObject({ objects: 5, actions: { upgraded: 3, current: 2 }, failed: [] });
      expect(await rotateMasterKey(fixture.storage, { prefix })).toMatchObject({ actions: { current: 5 }, failed: [] });
      expect(await keyStatus(fixture.storage, ['k1'], 'k1', { prefix })).toMatchObject({ earlierFormat: 0 });
      for (const [i, content] of contents.entries()) {
        const key = `${prefix}/old-${i}`;
        const inner = await fixture.inner.stat(key);
        expect({ key, contentType: inner.contentType, disposition: inner.contentDisposition, format: inner.metadata['docstore-enc'] }).toEqual({ key, contentType: 'application/octet-stream', disposition: undefined, format: '2' });
        expect(JSON.stringify(inner)).not.toContain('Dupont');
        expect(JSON.stringify(inner)).not.toContain(sha256(content));
        expect(await fixture.storage.stat(key)).toMatchObject({ ...described(i), size: content.length, sha256: sha256(content) });
        expect(sha256(await readAll((await fixture.storage.get(key)).body))).toBe(sha256(content));
      }
    }, 60_000);

    it('a format-1 object whose segments were altered is not converted: the rotation reports it failed and leaves it as it was', async () => {
      const key = `${randomPrefix()}/damaged-old`;
      const content = bytesOf(2 * SEGMENT_BYTES, 5);
      await putFormatOne(fixture.inner, k1, key, content, { contentType: 'application/pdf' });
      const stored = await readAll((await fixture.inner.get(key)).body);
      const described = await fixture.inner.stat(key);
      stored[SEALED + 3] = (stored[SEALED + 3] as number) ^ 0x01;
      await fixture.inner.put(key, stored, { contentType: 'application/pdf', systemMetadata: () => described.metadata });
      const summary = await rotateMasterKey(fixture.storage, { prefix: key });
      expect(summary.failed).toEqual([expect.objectContaining({ key, code: 'storage.integrity' })]);
      expect((await fixture.inner.stat(key)).metadata['docstore-enc']).toBe('1');
    });

    it('mirror and verify from the encrypted storage see the plaintext: description and SHA-256 reach the destination, listed sizes match, a second mirror copies nothing', async () => {
      const prefix = randomPrefix();
      const contents = { a: bytesOf(1000, 31), b: bytesOf(3 * SEGMENT_BYTES + 5, 32), c: Buffer.alloc(0) };
      const described = (name: string) => ({ contentType: 'application/pdf', contentDisposition: `attachment; filename="${name}.pdf"`, metadata: { 'document-id': `doc-${name}` } });
      for (const [name, content] of Object.entries(contents)) await fixture.storage.put(`${prefix}/${name}`, name === 'b' ? streamOf(content) : content, described(name));
      const destination = await localFixture();
      try {
        const include = [`${prefix}/`];
        expect(await mirror(fixture.storage, destination.storage, { include })).toMatchObject({ copied: 3, failed: 0 });
        for (const [name, content] of Object.entries(contents)) {
          expect(await destination.storage.stat(`${prefix}/${name}`)).toMatchObject({ ...described(name), size: content.length, sha256: sha256(content) });
        }
        expect(await mirror(fixture.storage, destination.storage, { include })).toMatchObject({ copied: 0, skipped: 3, failed: 0 });
        expect(await verify(fixture.storage, destination.storage, { include, download: true })).toMatchObject({ checked: 3, downloaded: 3, missing: 0, extra: 0, different: 0, errors: 0 });
      } finally {
        await destination.close();
      }
    }, 60_000);

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
