import type { IncomingMessage } from 'node:http';

/**
 * Notices an upload whose client has gone silent: `onIdle` runs once when the connection has
 * delivered no byte for `idleMs` while docstore was waiting for one. Bytes received but not read yet
 * (the storage is slower than the client) keep the upload alive: only the client's silence counts.
 * The connection is looked at every quarter of `idleMs` (at most every 5 s), so a silent upload is
 * noticed between `idleMs` and `1.25 × idleMs` after its last byte. Watching ends by itself once the
 * request's body is complete or its connection is gone. A request without a network connection
 * (Fastify's `inject`) is not watched.
 */
export class UploadIdleWatchdog {
  private readonly timer: NodeJS.Timeout | undefined;
  private bytesRead: number;
  private lastActivityAt = Date.now();

  private constructor(
    private readonly request: IncomingMessage,
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {
    const bytesRead: unknown = request.socket?.bytesRead;
    this.bytesRead = typeof bytesRead === 'number' ? bytesRead : 0;
    if (typeof bytesRead !== 'number') return;
    this.timer = setInterval(() => this.check(), Math.min(5_000, Math.max(50, idleMs / 4)));
    this.timer.unref();
  }

  /** Starts watching `request` (its body not yet read, or being read). */
  static watch(request: IncomingMessage, idleMs: number, onIdle: () => void): UploadIdleWatchdog {
    return new UploadIdleWatchdog(request, idleMs, onIdle);
  }

  /** Stops watching; `onIdle` will not run any more. Safe to call more than once. */
  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const { request } = this;
    if (request.complete || request.socket.destroyed) {
      this.stop();
      return;
    }
    const bytesRead = request.socket.bytesRead;
    if (bytesRead !== this.bytesRead || request.readableLength > 0) {
      this.bytesRead = bytesRead;
      this.lastActivityAt = Date.now();
      return;
    }
    if (Date.now() - this.lastActivityAt >= this.idleMs) {
      this.stop();
      this.onIdle();
    }
  }
}
