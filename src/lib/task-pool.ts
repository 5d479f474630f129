/** Runs at most `concurrency` tasks at once; `run` waits for a free slot, so callers get back-pressure. */
export class TaskPool {
  private running = new Set<Promise<void>>();

  constructor(private readonly concurrency: number) {
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a whole number of at least 1');
  }

  async run(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.concurrency) await Promise.race(this.running);
    const promise: Promise<void> = task().finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  /** Waits for every task started so far. */
  async drain(): Promise<void> {
    await Promise.all(this.running);
  }
}
