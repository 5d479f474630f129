import { describe, expect, it } from 'vitest';
import { RequestScopedKvStore } from '../../src/uploads/stores/request-scoped-kv-store.js';

describe('RequestScopedKvStore', () => {
  it('keeps what one request read for that request only: nothing outside a request, nothing shared between two', async () => {
    const store = new RequestScopedKvStore<string>();
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
