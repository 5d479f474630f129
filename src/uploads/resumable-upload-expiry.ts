/** How long an unfinished resumable upload lives after its creation, by default: 24 h. */
export const DEFAULT_RESUMABLE_UPLOAD_EXPIRY_SECONDS = 86_400;

/** How often expired uploads are swept: a quarter of their life, at most every 15 min, at least every second. */
export function sweepIntervalMs(expirySeconds: number): number {
  return Math.max(1000, Math.min(expirySeconds * 250, 15 * 60 * 1000));
}
