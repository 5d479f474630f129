import type { IncomingMessage } from 'node:http';

/**
 * Where the protocol floor server (`floor-server.ts`) stores its uploads: the least a durable upload
 * does on one storage, with none of docstore's modules.
 */
export interface FloorStore {
  /** Stores the whole body (one request) durably under a fresh key. */
  put(body: IncomingMessage): Promise<void>;
  /** Starts a tus-like upload of `length` bytes; answers its id. */
  create(length: number): Promise<string>;
  /**
   * Appends `body` (`bytes` long) at `offset` of upload `id`, stored before this resolves; the chunk
   * that makes the upload whole also puts it in place. Answers the new offset.
   */
  append(id: string, offset: number, bytes: number, body: IncomingMessage): Promise<number>;
  /** Removes what the uploads so far left (outside the timed part). */
  clean(): Promise<void>;
}
