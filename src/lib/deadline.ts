/**
 * Settles like `work`, or rejects with `onTimeout()` once `ms` milliseconds have passed, whichever
 * comes first. `work` itself is not cancelled: it must be bounded by its own timeouts; this only
 * stops the caller from waiting for it.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  // A late rejection of the abandoned work is not an unhandled one.
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
