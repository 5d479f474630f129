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

describe('RequestCachedKvStore without an inner store', () => {
  it('keeps what one request read for that request only: nothing outside a request, nothing shared between two', async () => {
    const store = new RequestCachedKvStore<string>();
    await store.set('upload', 'outside');
    expect(await store.get('upload')).toBeUndefined();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = store.run(async () => {
      await store.set('upload', 'first');
      await gate;
      return store.get('upload');
    });
    const second = store.run(async () => {
      const before = await store.get('upload');
      await store.set('upload', 'second');
      release();
      return [before, await store.get('upload')];
    });
    expect(await first).toBe('first');
    expect(await second).toEqual([undefined, 'second']);
    expect(await store.run(() => store.get('upload'))).toBeUndefined();
    await store.run(async () => {
      await store.set('upload', 'x');
      await store.delete('upload');
      expect(await store.get('upload')).toBeUndefined();
    });
  });
});
