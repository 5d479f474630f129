import type { ObjectStorage } from '../../storage/object-storage.js';

/** Delays of the attempts, in milliseconds: soon, then less and less often for about a quarter of an hour. */
export const ORPHAN_REMOVAL_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000];

/**
 * Deletes, in the background, the object of an upload that failed while its storage was
 * unreachable: a write the client gave up on can still land once a frozen server resumes, and its
 * key (unique to that upload, never recorded in a row) would then hold an orphan. Each attempt that
 * fails waits for the next delay; after the last one, `docstore reconcile --fix` is what remains.
 * The timers never keep the process alive.
 */
export function removeWhenReachable(storage: ObjectStorage, key: string, delaysMs: readonly number[] = ORPHAN_REMOVAL_DELAYS_MS): void {
  const [delay, ...later] = delaysMs;
  if (delay === undefined) return;
  const timer = setTimeout(() => {
    storage.delete(key).then(
      () => undefined,
      () => removeWhenReachable(storage, key, later),
    );
  }, delay);
  timer.unref();
}
