import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/lib/buffer-pool.js';

describe('BufferPool', () => {
  it('lends buffers of its size and takes back those it lent, once, a view of one included', () => {
    const pool = new BufferPool(1024, 4);
    const first = pool.take();
    expect(first.length).toBe(1024);
    pool.giveBack(first.subarray(0, 10));
    expect(pool.take().buffer).toBe(first.buffer);
    const second = pool.take();
    expect(second.buffer).not.toBe(first.buffer);
    pool.giveBack(second);
    pool.giveBack(second);
    const a = pool.take();
    const b = pool.take();
    expect(a.buffer).toBe(second.buffer);
    expect(b.buffer).not.toBe(second.buffer);
  });

  it('ignores buffers it did not lend', () => {
    const pool = new BufferPool(1024, 4);
    const foreign = Buffer.allocUnsafeSlow(1024);
    pool.giveBack(foreign);
    pool.giveBack(Buffer.from('small, from the shared pool'));
    expect(pool.take().buffer).not.toBe(foreign.buffer);
  });

  it('keeps at most keepAtMost buffers for reuse', () => {
    const pool = new BufferPool(16, 2);
    const lent = [pool.take(), pool.take(), pool.take()];
    for (const buffer of lent) pool.giveBack(buffer);
    const again = [pool.take(), pool.take(), pool.take()];
    const reused = again.filter((buffer) => lent.some((old) => old.buffer === buffer.buffer));
    expect(reused).toHaveLength(2);
  });
});
