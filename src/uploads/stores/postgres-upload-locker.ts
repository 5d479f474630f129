import { setTimeout as sleep } from 'node:timers/promises';
import { ERRORS, MemoryLocker, type Lock, type Locker, type RequestRelease } from '@tus/server';
import pg from 'pg';

/** How often a lock held by another instance is tried again, and how long a request waits for it. */
const RETRY_MS = 100;
const TIMEOUT_MS = 30_000;

/**
 * Locks resumable uploads across instances with PostgreSQL session advisory locks
 * (`pg_try_advisory_lock` on the upload id's 64-bit hash), on one connection of its own per
 * instance, behind tus's in-process `MemoryLocker` (advisory locks are re-entrant within a session,
 * so requests of the same instance are kept apart in memory, and the holder there is asked to let
 * go). A lock held by another instance is waited for, up to 30 s (tus's `ERR_LOCK_TIMEOUT`).
 * The connection opens at the first lock; a lost connection releases its locks in PostgreSQL.
 */
export class PostgresUploadLocker implements Locker {
  private readonly memory = new MemoryLocker();
  private client: Promise<pg.Client> | undefined;
  /** Queries one at a time on the shared session. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly url: string) {}

  newLock(id: string): Lock {
    const inMemory = this.memory.newLock(id);
    return {
      lock: async (signal: AbortSignal, requestRelease: RequestRelease) => {
        await inMemory.lock(signal, requestRelease);
        try {
          await this.acquire(id, signal);
        } catch (error) {
          await inMemory.unlock();
          throw error;
        }
      },
      unlock: async () => {
        try {
          await this.query('select pg_advisory_unlock(hashtextextended($1, 0))', [id]);
        } finally {
          await inMemory.unlock();
        }
      },
    };
  }

  /** Closes the connection (its locks go with it). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await (await client).end();
  }

  private async acquire(id: string, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const rows = await this.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [id]);
      if (rows[0]?.locked === true) return;
      if (signal.aborted || Date.now() > deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
      await sleep(RETRY_MS);
    }
  }

  private query<T>(text: string, values: unknown[]): Promise<T[]> {
    const run = this.queue.then(async () => {
      this.client ??= (async () => {
        const client = new pg.Client({ connectionString: this.url, application_name: 'docstore-upload-locks' });
        client.on('error', () => {
          // A lost session has lost its locks: the next lock opens a new one.
          this.client = undefined;
        });
        await client.connect();
        return client;
      })();
      const result = await (await this.client).query(text, values);
      return result.rows as T[];
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
