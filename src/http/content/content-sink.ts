import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { HeldBackSha256 } from '../../documents/integrity/sha256-verifying-stream.js';

export interface ContentSinkOptions {
  /**
   * Hash what passes and compare it with `expectedSha256` at the end: the latest chunk is held back
   * until the next one arrives, so the last bytes go out only once the digest matches. On a
   * mismatch the sink fails with `storage.integrity` (context: key, expected, actual) before its
   * last chunk, and the response never reaches its length. Memory: one chunk.
   */
  verify?: { key: string; expectedSha256: string };
  /** Run on a failure before the response is destroyed (the damage recorded first). */
  beforeAbort: (error: Error) => Promise<void>;
  /** Told of each chunk once the response has written it out (its buffer may then be reused). */
  written?: (chunk: Buffer) => void;
}

/**
 * The end of a content pipeline: writes the chunks into the response, hashing them on the way when
 * asked (one stage where a hashing transform and a writer were two). A failure runs `beforeAbort`
 * before destroying the response: by the time a client sees its download cut, the document is
 * already `broken`. A response closed by the client fails the sink, which stops the read.
 */
export function contentSink(response: ServerResponse, options: ContentSinkOptions): Writable {
  const check = options.verify === undefined ? undefined : new HeldBackSha256(options.verify.key, options.verify.expectedSha256);
  const { written } = options;
  const send = (chunk: Buffer, callback: (error?: Error | null) => void) => {
    if (response.write(chunk, written === undefined ? undefined : () => written(chunk))) callback();
    else response.once('drain', () => callback());
  };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const ready = check === undefined ? chunk : check.pass(chunk);
      if (ready === undefined) callback();
      else send(ready, callback);
    },
    final(callback) {
      let last: Buffer | undefined;
      try {
        last = check?.last();
      } catch (error) {
        callback(error as Error);
        return;
      }
      if (last === undefined) response.end(() => callback());
      else {
        response.end(last, () => {
          written?.(last);
          callback();
        });
      }
    },
    destroy(error, callback) {
      check?.drop();
      if (error === null || response.writableFinished) {
        callback(error);
        return;
      }
      options.beforeAbort(error).finally(() => {
        response.destroy(error);
        callback(error);
      });
    },
  });
  response.once('close', () => {
    if (!response.writableFinished) sink.destroy(new Error('the client closed the connection'));
  });
  return sink;
}
