import type { KvStore } from '@tus/utils';
import { describe, expect, it } from 'vitest';
import { RequestCachedKvStore } from '../../src/uploads/stores/request-cached-kv-store.js';

/** A store in memory that counts its reads. */
class CountingStore implements KvStore<string> {
  reads = 0;
  private readonly values = new Map<string, string>();

  async get(key: string): Promise<string | undefined> {
    this.reads++;
    return this.values.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }

  async list(): Promise<string[]> {
    return [...this.values.keys()];
  }
}

describe('RequestCachedKvStore', () => {
  it('reads a key once per request, writes through, and keeps nothing across requests', async () => {
    const inner = new CountingStore();
    const store = new RequestCachedKvStore(inner);
    await store.set('upload', 'created');
    expect(await inner.get('upload')).toBe('created');
    inner.reads = 0;
    expect(await store.run(async () => [await store.get('upload'), await store.get('upload')])).toEqual(['created', 'created']);
    expect(inner.reads).toBe(1);
    // Another instance changes it: the next request sees the change.
    await inner.set('upload', 'changed elsewhere');
    expect(await store.run(() => store.get('upload'))).toBe('changed elsewhere');
    // Outside a request, every read goes to the store.
    inner.reads = 0;
    await store.get('upload');
    await store.get('upload');
    expect(inner.reads).toBe(2);
    await store.run(async () => {
      // An absent key is read again (a creation in the same request makes it).
      expect(await store.get('other')).toBeUndefined();
      await store.set('other', 'made');
      expect(await store.get('other')).toBe('made');
      await store.delete('upload');
      expect(await store.get('upload')).toBeUndefined();
    });
    expect(await inner.get('upload')).toBeUndefined();
    expect(await store.list()).toEqual(await inner.list());
  });
});
