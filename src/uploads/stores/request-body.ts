import type { Readable } from 'node:stream';
import { ERRORS } from '@tus/server';

/**
 * A `PATCH`'s body as a store reads it within `withRequestBody`: the request's own Node stream,
 * handed over by the route instead of the stream tus gives the store (empty then), so that the
 * bytes skip tus's web-stream round trip (Node stream → web `ReadableStream` → Node stream → proxy
 * → limiter). tus still answers the request (lock, offset, expiry and length checks, hooks).
 */
export interface RequestBody {
  stream: Readable;
  /** Its declared length (`Content-Length`, which tus checked against the upload's length). */
  bytes: number;
  /** The offset it claims to start at (`Upload-Offset`), which tus compares with the upload's. */
  offset?: number;
  /** Told of each piece as it is read, before it is written (hashing). */
  onChunk?: (piece: Buffer) => void;
}

/**
 * `body`'s bytes, each told to `onChunk` as it is read, failing once they go past its declared
 * length (tus's own limiter does the same on its stream).
 */
export async function* limitedBody(body: RequestBody): AsyncIterable<Buffer> {
  let read = 0;
  for await (const piece of body.stream as AsyncIterable<Buffer>) {
    read += piece.length;
    if (read > body.bytes) throw ERRORS.ERR_MAX_SIZE_EXCEEDED;
    body.onChunk?.(piece);
    yield piece;
  }
}
