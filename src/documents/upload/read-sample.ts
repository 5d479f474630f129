import type { Readable } from 'node:stream';

/** Reads up to `bytes` from the start of a stream, and returns them with an iterator over the rest. */
export async function readSample(stream: Readable, bytes: number): Promise<{ sample: Buffer; rest: AsyncIterable<Buffer> }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => (done ? { next: async () => ({ done: true, value: undefined }) } : iterator),
  };
  return { sample: Buffer.concat(chunks, length), rest };
}
