import { Transform, type TransformCallback } from 'node:stream';

/**
 * Shares a bandwidth budget (bytes per second) between all the streams it throttles, like
 * rclone's `--bwlimit`. Bursts up to one second's worth.
 */
export class BandwidthLimiter {
  private available: number;
  private updatedAt = performance.now();

  constructor(private readonly bytesPerSecond: number) {
    this.available = bytesPerSecond;
  }

  /** A pass-through stream that waits for budget before passing each chunk. */
  throttle(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback: TransformCallback) => {
        this.take(chunk.length).then(
          () => callback(null, chunk),
          (error: Error) => callback(error),
        );
      },
    });
  }

  private async take(bytes: number): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.available = Math.min(this.bytesPerSecond, this.available + ((now - this.updatedAt) / 1000) * this.bytesPerSecond);
      this.updatedAt = now;
      if (this.available >= Math.min(bytes, this.bytesPerSecond)) {
        this.available -= bytes;
        return;
      }
      const waitMs = ((Math.min(bytes, this.bytesPerSecond) - this.available) / this.bytesPerSecond) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, waitMs)));
    }
  }
}

/** Parses `512K`, `10M`, `1G` (bytes per second, binary units) or a plain number of bytes. */
export function parseByteRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(text.trim());
  if (match === null) throw new RangeError(`${text}: use a number of bytes per second, with K, M or G`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(match[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G'];
  const value = Math.floor(Number(match[1]) * unit);
  if (value < 1024) throw new RangeError(`${text}: at least 1K per second`);
  return value;
}
