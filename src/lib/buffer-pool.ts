/**
 * Buffers of one size lent out and given back, so that a stream of chunks does not allocate a new
 * buffer for each. Node counts every buffer it allocates against V8's external memory, and a full
 * garbage collection follows every few tens of MiB allocated: serving a 1 MiB file in fresh 256 KiB
 * chunks cost the API server more in collections than in hashing (issue 22, CPU profiles).
 *
 * Only a chunk whose memory this pool lent is taken back (a view of it counts, e.g. the first
 * bytes of a short last read), once; anything else given back is ignored. The lender keeps no
 * strong reference to what it lent: a chunk never given back (a stream cut short) is collected as
 * any buffer is. The caller must give a chunk back only once nothing reads it any more.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly lent = new WeakSet<ArrayBufferLike>();

  /**
   * @param bufferBytes size of every buffer lent
   * @param keepAtMost buffers kept for reuse once given back; beyond that they are left to the collector
   */
  constructor(
    readonly bufferBytes: number,
    private readonly keepAtMost: number,
  ) {}

  /** A buffer of `bufferBytes` (its content is not zeroed), the caller's until given back. */
  take(): Buffer {
    const buffer = this.free.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
    this.lent.add(buffer.buffer);
    return buffer;
  }

  /** Takes back the buffer behind `chunk` when this pool lent it and it was not given back yet. */
  giveBack(chunk: Buffer): void {
    const memory = chunk.buffer;
    if (!(memory instanceof ArrayBuffer) || !this.lent.delete(memory)) return;
    if (this.free.length < this.keepAtMost) this.free.push(Buffer.from(memory, 0, this.bufferBytes));
  }
}
