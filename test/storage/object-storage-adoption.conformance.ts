import { describe, expect, it } from 'vitest';
import type { ObjectStorage } from '../../src/storage/object-storage.js';
import { expectCode } from '../support/storage-codes.js';
import { bytesOf, readAll, sha256 } from '../support/streams.js';
import type { StorageFixture } from './object-storage.conformance.js';

const MiB = 1024 * 1024;

/**
 * `ObjectStorage.adopt`, part of `describeObjectStorage`: `current` gives the fixture, the storage
 * and the test's key function (its random prefix) of the test running.
 */
export function describeAdoption(current: () => { fixture: StorageFixture; storage: ObjectStorage; key: (path: string) => string }): void {
  describe('adopt (foreign content)', () => {
    const described = { contentType: 'application/pdf', contentDisposition: 'attachment; filename="pv.pdf"', metadata: { 'document-id': 'doc-1', title: 'Procès-verbal' } };

    /** Where the storage cannot adopt (client-side encryption, SSE, Object Lock): refused before anything is touched. */
    async function expectRefused({ fixture, storage, key }: ReturnType<typeof current>): Promise<void> {
      const bytes = bytesOf(1000);
      await fixture.writeForeign(key('tus-uploads/refused'), bytes);
      await expectCode(storage.adopt(key('tus-uploads/refused'), key('document'), { size: bytes.length, sha256: sha256(bytes) }), 'storage.adoption_unsupported');
      expect(await storage.exists(key('document'))).toBe(false);
      expect(await fixture.foreignExists(key('tus-uploads/refused'))).toBe(true);
    }

    it('makes foreign content (empty, small, a multipart upload) an object with its description and SHA-256, the source gone and nothing else listed; a storage that cannot adopt says so and touches nothing', async () => {
      const { fixture, storage, key } = current();
      if (!storage.capabilities.adoptsForeignContent) return expectRefused(current());
      for (const [name, bytes] of [['empty', Buffer.alloc(0)], ['small', bytesOf(1234, 1)], ['multipart', bytesOf(12 * MiB + 17, 2)]] as const) {
        const source = key(`tus-uploads/${name}`);
        await fixture.writeForeign(source, bytes);
        const result = await storage.adopt(source, key(`org/b1/${name}`), { ...described, size: bytes.length, sha256: sha256(bytes) });
        expect(result).toMatchObject({ key: key(`org/b1/${name}`), size: bytes.length, sha256: sha256(bytes) });
        expect(await storage.stat(key(`org/b1/${name}`))).toMatchObject({ ...described, size: bytes.length, sha256: sha256(bytes), etag: result.etag });
        const { body, info } = await storage.get(key(`org/b1/${name}`));
        expect(sha256(await readAll(body))).toBe(sha256(bytes));
        expect(info.sha256).toBe(sha256(bytes));
        expect(await fixture.foreignExists(source)).toBe(false);
      }
      const listed: string[] = [];
      for await (const entry of storage.list({ prefix: key('') })) if (entry.kind === 'object') listed.push(entry.key);
      expect(listed.sort()).toEqual([key('org/b1/empty'), key('org/b1/multipart'), key('org/b1/small')]);
      expect(await fixture.leftovers()).toEqual([]);
    });

    it('is create-only, checks the length, and on any refusal leaves the source as it was (a storage that cannot adopt refuses it all)', async () => {
      const { fixture, storage, key } = current();
      if (!storage.capabilities.adoptsForeignContent) return expectRefused(current());
      const bytes = bytesOf(70_000, 3);
      const source = key('tus-uploads/kept');
      await fixture.writeForeign(source, bytes);
      await storage.put(key('taken'), 'keep me');
      await expectCode(storage.adopt(source, key('taken'), { size: bytes.length, sha256: sha256(bytes) }), 'storage.precondition_failed');
      expect((await readAll((await storage.get(key('taken'))).body)).toString()).toBe('keep me');
      await expectCode(storage.adopt(source, key('short'), { size: bytes.length - 1, sha256: sha256(bytes) }), 'storage.integrity');
      expect(await storage.exists(key('short'))).toBe(false);
      await expectCode(storage.adopt(key('tus-uploads/absent'), key('absent'), { size: 1, sha256: sha256(Buffer.from('x')) }), 'storage.not_found');
      await expectCode(storage.adopt(source, key('bad-sha'), { size: bytes.length, sha256: 'ABC' }), 'storage.invalid_argument');
      await expectCode(storage.adopt(source, 'a/../b', { size: bytes.length, sha256: sha256(bytes) }), 'storage.invalid_key');
      expect(await fixture.foreignExists(source)).toBe(true);
      expect(await fixture.leftovers()).toEqual([]);
      // Untouched by the refusals: adopted whole afterwards.
      await storage.adopt(source, key('free'), { size: bytes.length, sha256: sha256(bytes) });
      expect(sha256(await readAll((await storage.get(key('free'))).body))).toBe(sha256(bytes));
    });
  });
}
