import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pipeInto } from '../../src/lib/pipe-into.js';

function collecting(): { sink: Writable; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { sink, chunks };
}

describe('pipeInto', () => {
  it('settles once the sink has finished, with every byte written', async () => {
    const { sink, chunks } = collecting();
    await pipeInto(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), sink);
    expect(sink.writableFinished).toBe(true);
    expect(Buffer.concat(chunks).toString()).toBe('abcd');
  });

  it('fails with the body\'s error and destroys the sink', async () => {
    const { sink } = collecting();
    const body = new Readable({ read() { this.destroy(new Error('read failed')); } });
    await expect(pipeInto(body, sink)).rejects.toThrow('read failed');
    expect(sink.destroyed).toBe(true);
  });

  it('fails when the body closes before its end without an error', async () => {
    const { sink } = collecting();
    const body = new Readable({ read() { this.push(Buffer.from('x')); this.destroy(); } });
    await expect(pipeInto(body, sink)).rejects.toThrow('the content stream closed before its end');
  });

  it('fails with the sink\'s error and destroys the body', async () => {
    const sink = new Writable({ write(_chunk, _encoding, callback) { callback(new Error('socket gone')); } });
    const body = new Readable({ read() { this.push(Buffer.from('x')); } });
    await expect(pipeInto(body, sink)).rejects.toThrow('socket gone');
    expect(body.destroyed).toBe(true);
  });

  it('fails, rather than hanging, when the sink is destroyed without an error', async () => {
    const sink = new Writable({ write(_chunk, _encoding, callback) { setImmediate(callback); } });
    const body = new Readable({ read() { this.push(Buffer.from('x')); } });
    const piped = pipeInto(body, sink);
    setImmediate(() => sink.destroy());
    await expect(piped).rejects.toThrow('the sink closed before the content was written');
    expect(body.destroyed).toBe(true);
  });
});
