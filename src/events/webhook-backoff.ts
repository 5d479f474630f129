/**
 * The wait before retrying after failed attempt `attempt` (1-based): `baseMs` doubled after each
 * attempt, at most `maxMs`, then "equal jitter": between half of it and all of it, so that the
 * deliveries that failed together (a receiver that was down) do not all come back at once.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
