/**
 * Part-sized buffers kept for the next multipart upload. A streamed upload copies its chunks into
 * part buffers; allocating those afresh for every part costs more than the copy (a new mapping whose
 * every page faults on first write, then the garbage collector's work), so a buffer whose part was
 * sent comes back here. At most `maxIdleBuffers` wait idle (memory held between uploads:
 * `maxIdleBuffers × partBytes`); beyond that, returned buffers are dropped. Same idea as rclone's
 * `lib/pool` and minio-go's part buffer pool.
 *
 * A buffer comes back holding the bytes of an earlier part: callers send only what they wrote.
 */
export class PartBufferPool {
  private readonly idle: Buffer[] = [];

  constructor(
    readonly partBytes: number,
    private readonly maxIdleBuffers: number,
  ) {}

  take(): Buffer {
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(this.partBytes);
  }

  /** Gives back a buffer from `take()` once nothing reads it any more. */
  give(buffer: Buffer): void {
    if (buffer.length === this.partBytes && this.idle.length < this.maxIdleBuffers) this.idle.push(buffer);
  }

  /** Buffers waiting idle. */
  get idleBuffers(): number {
    return this.idle.length;
  }
}
