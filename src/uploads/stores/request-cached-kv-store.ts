import { AsyncLocalStorage } from 'node:async_hooks';
import type { KvStore } from '@tus/utils';

/**
 * A store's metadata (`inner`, e.g. `@tus/file-store`'s `.json` files) read once per request
 * (`run`): admission and tus's own read under the upload's lock then share one read instead of
 * each opening, reading and closing the file. Writes and deletes go to `inner` and update the
 * request's copy; nothing is kept across requests, so another instance's changes are seen by the
 * next request. Outside `run`, every call goes to `inner`.
 *
 * Without `inner` it is only that per-request cache, for a store that reads its metadata itself
 * when the cache has none (`@tus/s3-store`'s `cache`: each request reads an upload's `.info` from
 * S3 once instead of once per step, six GETs per PATCH; its default cache lives in one process's
 * memory for ever, so an instance would still see an upload another instance completed and
 * removed). Outside `run`, nothing is cached then.
 */
export class RequestCachedKvStore<T> implements KvStore<T> {
  private readonly scope = new AsyncLocalStorage<Map<string, T | undefined>>();

  constructor(private readonly inner?: KvStore<T>) {}

  /** Runs `work` (one request) with a cache of its own. */
  run<R>(work: () => Promise<R>): Promise<R> {
    return this.scope.run(new Map(), work);
  }

  async get(key: string): Promise<T | undefined> {
    const cache = this.scope.getStore();
    if (cache?.has(key) === true) return cache.get(key);
    const value = await this.inner?.get(key);
    // An absent upload is read again: a creation in the same request makes it.
    if (value !== undefined) cache?.set(key, value);
    return value;
  }

  async set(key: string, value: T): Promise<void> {
    await this.inner?.set(key, value);
    this.scope.getStore()?.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.scope.getStore()?.delete(key);
    await this.inner?.delete(key);
  }

  async list(): Promise<string[]> {
    if (this.inner?.list === undefined) throw new Error('the inner store cannot list its keys');
    return this.inner.list();
  }
}
