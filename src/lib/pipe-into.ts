import type { Readable, Writable } from 'node:stream';

/**
 * `pipeline(body, sink)` without its cost per call: on success, `stream/promises` pipeline aborts
 * its internal AbortController, which builds a DOMException with a stack (issue 22: ~50 µs of a
 * download under load). Same outcome: a failure of either side destroys the other (a body closed
 * before its end counts as one), and the promise settles once the sink has finished or failed.
 */
export function pipeInto(body: Readable, sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    body.once('error', (error) => sink.destroy(error));
    body.once('close', () => {
      if (!body.readableEnded && !sink.destroyed) sink.destroy(new Error('the content stream closed before its end'));
    });
    sink.once('error', (error) => {
      body.destroy();
      reject(error);
    });
    sink.once('finish', () => resolve());
    // A sink destroyed without an error never emits 'error': settle all the same.
    sink.once('close', () => {
      if (!sink.writableFinished) {
        body.destroy();
        reject(sink.errored ?? new Error('the sink closed before the content was written'));
      }
    });
    body.pipe(sink);
  });
}
