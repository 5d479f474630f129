import { AsyncLocalStorage } from 'node:async_hooks';
import type { KvStore } from '@tus/utils';

/**
 * A `@tus/s3-store` metadata cache that lives as long as one request (`run`) and keeps nothing
 * across requests: each request reads an upload's `.info` from S3 once, instead of once per step
 * (admission, tus's own read, the write: six GETs of one `.info` per PATCH), and never a copy older
 * than itself. The default cache lives in one process's memory for ever, so an instance would still
 * see an upload that another instance completed and removed (answering it as complete instead of
 * 404). Outside `run`, nothing is cached.
 */
export class RequestScopedKvStore<T> implements KvStore<T> {
  private readonly scope = new AsyncLocalStorage<Map<string, T>>();

  /** Runs `work` (one request) with a cache of its own. */
  run<R>(work: () => Promise<R>): Promise<R> {
    return this.scope.run(new Map(), work);
  }

  async get(key: string): Promise<T | undefined> {
    return this.scope.getStore()?.get(key);
  }

  async set(key: string, value: T): Promise<void> {
    this.scope.getStore()?.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.scope.getStore()?.delete(key);
  }
}
