import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { buffer } from 'node:stream/consumers';
import type { ObjectStorage } from '../../storage/object-storage.js';
import { isStorageError } from '../../storage/storage-errors.js';
import { BackupError } from '../backup-errors.js';

/** How often a held lock is refreshed, and after how long without refresh another process may ignore it. */
const REFRESH_MS = 5 * 60_000;
export const STALE_AFTER_MS = 30 * 60_000;

interface LockRecord {
  kind: 'shared' | 'exclusive';
  host: string;
  pid: number;
  /** Last refresh, ISO 8601. */
  time: string;
}

/**
 * restic's locking: a backup holds a shared lock, forget and prune an exclusive one. A process
 * writes its lock object, then lists the others; on a conflict it removes its own and fails with
 * `backup.locked`, so two racing processes both back off rather than both proceed. Locks are
 * refreshed every 5 minutes; one not refreshed for 30 minutes, or held by a process of this host that
 * no longer runs, belongs to a dead process and is ignored (and removed by the next exclusive locker).
 */
export class RepositoryLock {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly storage: ObjectStorage,
    private readonly key: string,
    private readonly record: LockRecord,
  ) {}

  static async acquire(storage: ObjectStorage, kind: LockRecord['kind'], now: () => Date = () => new Date()): Promise<RepositoryLock> {
    const key = `locks/${randomBytes(8).toString('hex')}`;
    const record: LockRecord = { kind, host: hostname(), pid: process.pid, time: now().toISOString() };
    await storage.put(key, JSON.stringify(record), { contentType: 'application/json', ifNoneMatch: '*' });
    const lock = new RepositoryLock(storage, key, record);
    try {
      for await (const entry of storage.list({ prefix: 'locks/' })) {
        if (entry.kind !== 'object' || entry.key === key) continue;
        const other = await readLock(storage, entry.key);
        if (other === undefined) continue;
        const stale = now().getTime() - Date.parse(other.time) > STALE_AFTER_MS || deadOnThisHost(other);
        if (stale) {
          if (kind === 'exclusive') await storage.delete(entry.key);
          continue;
        }
        if (kind === 'exclusive' || other.kind === 'exclusive') {
          throw new BackupError(
            'backup.locked',
            `the repository is locked (${other.kind}) by process ${other.pid} on ${other.host} since ${other.time}: wait for it to finish; a lock not refreshed for ${STALE_AFTER_MS / 60_000} minutes is ignored`,
          );
        }
      }
    } catch (error) {
      await storage.delete(key);
      throw error;
    }
    lock.timer = setInterval(() => void lock.refresh(now), REFRESH_MS);
    lock.timer.unref();
    return lock;
  }

  private async refresh(now: () => Date): Promise<void> {
    this.record.time = now().toISOString();
    await this.storage.put(this.key, JSON.stringify(this.record), { contentType: 'application/json' }).catch(() => {
      // The next refresh tries again; a lock left unrefreshed for 30 minutes becomes stale, which only
      // lets another process proceed; it never corrupts anything this process wrote.
    });
  }

  async release(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.storage.delete(this.key);
  }
}

/** A lock of a process of this host that no longer runs (killed, crashed): no need to wait 30 minutes. */
function deadOnThisHost(lock: LockRecord): boolean {
  if (lock.host !== hostname() || lock.pid === process.pid) return false;
  try {
    process.kill(lock.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function readLock(storage: ObjectStorage, key: string): Promise<LockRecord | undefined> {
  try {
    const { body } = await storage.get(key);
    return JSON.parse((await buffer(body)).toString('utf8')) as LockRecord;
  } catch (error) {
    // Released between the listing and the read.
    if (isStorageError(error) && error.code === 'storage.not_found') return undefined;
    throw error;
  }
}
