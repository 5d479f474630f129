import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { IntegrityError } from '../storage-errors.js';
import { translateFsError } from './local-fs-errors.js';

/**
 * Streams bytes `start`..`end` (inclusive) of an open object file, one read per chunk into a
 * buffer from `take` (`GetOptions.buffers`, or a new one), pushed as it is or as the view of its
 * first bytes when the read was short. The file is closed when the stream ends or is destroyed
 * (after a read in progress: `FileHandle.close` waits for it). A file shorter than the range
 * fails with `storage.integrity`.
 */
export function localContentStream(handle: FileHandle, key: string, start: number, end: number, take: () => Buffer): Readable {
  let position = start;
  return new Readable({
    read() {
      const buffer = take();
      const length = Math.min(buffer.length, end + 1 - position);
      handle.read(buffer, 0, length, position).then(
        ({ bytesRead }) => {
          if (bytesRead === 0) {
            this.destroy(IntegrityError.corrupted(key, 'file shorter than its size'));
            return;
          }
          position += bytesRead;
          this.push(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
          if (position > end) this.push(null);
        },
        (error: unknown) => this.destroy(translateFsError(error, 'read', key)),
      );
    },
    destroy(error, callback) {
      handle.close().then(
        () => callback(error),
        (closeError: unknown) => callback(error ?? (closeError as Error)),
      );
    },
  });
}
