import type { KvStore } from '@tus/utils';

/**
 * A `@tus/s3-store` metadata cache that keeps nothing: each request reads the upload's `.info` from
 * S3. The default cache lives in one process's memory, so an instance would still see an upload
 * that another instance completed and removed (answering it as complete instead of 404).
 */
export class UncachedKvStore<T> implements KvStore<T> {
  async get(): Promise<T | undefined> {
    return undefined;
  }

  async set(): Promise<void> {}

  async delete(): Promise<void> {}
}
