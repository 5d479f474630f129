import type { IncomingMessage } from 'node:http';

/** A body left unread up to this size is still read (and discarded) to keep the connection alive. */
export const DRAINED_BODY_BYTES = 64 * 1024;

/**
 * Whether an answer sent now must close the connection (`Connection: close`): the request's body
 * has not all arrived and may be large (over `DRAINED_BODY_BYTES`, or of unknown length). This is an
 * upload refused before its body was read — 401, 403, 404, 413, 415, 429, 503, whatever the reason.
 * With the header, Node closes the socket once the answer is written instead of reading the rest of
 * the body to reuse the connection; a browser reads an answer only once it has sent the whole body or
 * the connection closes, so over a kept-alive connection it showed the refusal only after a timeout.
 */
export function answerClosesConnection(request: IncomingMessage): boolean {
  if (request.complete) return false;
  const declared = Number(request.headers['content-length']);
  return !(declared <= DRAINED_BODY_BYTES);
}
