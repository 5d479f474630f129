import type { Readable } from 'node:stream';

/**
 * Reads the first `bytes` of a stream and leaves the rest in it, paused and unread (to be piped on).
 * Returns fewer bytes when the stream ends first; a stream failure rejects. Works whether or not the
 * stream already flows to other `data` listeners (they see every byte, as before).
 */
export function takeHead(body: Readable, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const detach = () => {
      body.off('data', onData);
      body.off('end', finish);
      body.off('close', onClose);
      body.off('error', onError);
    };
    function finish(): void {
      detach();
      body.pause();
      const read = Buffer.concat(chunks);
      if (read.length > bytes) body.unshift(read.subarray(bytes));
      resolve(read.subarray(0, bytes));
    }
    function onData(chunk: Buffer): void {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= bytes) finish();
    }
    function onError(error: unknown): void {
      detach();
      reject(error);
    }
    function onClose(): void {
      if (body.errored !== null) onError(body.errored);
      else finish();
    }
    if (body.errored !== null) {
      reject(body.errored);
      return;
    }
    if (body.readableEnded || body.destroyed) {
      resolve(Buffer.alloc(0));
      return;
    }
    body.on('data', onData);
    body.on('end', finish);
    body.on('close', onClose);
    body.on('error', onError);
  });
}
