import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultInjectingObjectStorage, InjectedStreamFailure } from '../../src/storage/decorators/fault-injecting-object-storage.js';
import { isStorageError } from '../../src/storage/storage-errors.js';
import { localFixture, s3Fixture } from '../support/storage-fixtures.js';
import { failure } from '../support/failure.js';
import { bytesOf, randomPrefix, readAll, streamOf } from '../support/streams.js';
import type { StorageFixture } from './object-storage.conformance.js';

const MiB = 1024 * 1024;

for (const [name, factory] of [
  ['local', localFixture],
  ['s3', () => s3Fixture()],
] as const) {
  describe(`fault injection around ${name}`, () => {
    let fixture: StorageFixture;
    beforeAll(async () => {
      fixture = await factory();
    });
    afterAll(async () => fixture?.close());

    it('fails the Nth call with storage.unavailable before it reaches the storage', async () => {
      const prefix = randomPrefix();
      const storage = new FaultInjectingObjectStorage(fixture.storage, { failCall: 2, operations: ['put'] });
      await storage.put(`${prefix}/first`, 'one');
      const error = await failure(storage.put(`${prefix}/second`, 'two'));
      expect(isStorageError(error) && error.code).toBe('storage.unavailable');
      expect(await storage.exists(`${prefix}/second`)).toBe(false);
      await storage.put(`${prefix}/third`, 'three');
      expect(storage.callCount).toBe(3);
    });

    for (const [size, breakAt] of [
      [MiB, 100_000],
      [20 * MiB, 12 * MiB],
    ] as const) {
      for (const kind of ['buffer', 'stream'] as const) {
        it(`a ${kind} put of ${size} bytes broken after ${breakAt}: no object, no temporary data, no multipart upload`, async () => {
          const key = `${randomPrefix()}/broken`;
          const storage = new FaultInjectingObjectStorage(fixture.storage, { breakPutBodyAfterBytes: breakAt });
          const bytes = bytesOf(size);
          const error = await failure(storage.put(key, kind === 'buffer' ? bytes : streamOf(bytes)));
          expect(isStorageError(error) && error.code).toBe('storage.operation_failed');
          expect((error as Error).cause).toBeInstanceOf(InjectedStreamFailure);
          expect(await fixture.storage.exists(key)).toBe(false);
          expect(await fixture.leftovers()).toEqual([]);
        }, 60_000);
      }
    }

    it('a broken put does not damage the previous version', async () => {
      const key = `${randomPrefix()}/versioned`;
      await fixture.storage.put(key, 'version 1');
      const storage = new FaultInjectingObjectStorage(fixture.storage, { breakPutBodyAfterBytes: 10 });
      await failure(storage.put(key, streamOf(bytesOf(MiB))));
      expect((await readAll((await fixture.storage.get(key)).body)).toString()).toBe('version 1');
    });

    it('a get broken after N bytes surfaces as a stream error', async () => {
      const key = `${randomPrefix()}/read`;
      await fixture.storage.put(key, bytesOf(MiB));
      const storage = new FaultInjectingObjectStorage(fixture.storage, { breakGetBodyAfterBytes: 1000 });
      const { body } = await storage.get(key);
      await expect(readAll(body)).rejects.toBeInstanceOf(InjectedStreamFailure);
    });
  });
}
