import { constants } from 'node:fs';
import { open, rename, truncate, type FileHandle } from 'node:fs/promises';
import { storedDescription, type ValidatedPutOptions } from '../object-options.js';
import type { PutResult } from '../object-storage.js';
import { IntegrityError, isStorageError } from '../storage-errors.js';
import { translateFsError } from './local-fs-errors.js';
import { encodeTrailer, localEtag } from './local-object-file.js';
import type { LocalObjectPaths } from './local-object-paths.js';

/** Publishes a complete temporary file under `key`, create-only (`LocalObjectStorage`'s own publish). */
export type PublishCreateOnly = (temporaryPath: string, key: string) => Promise<void>;

/**
 * `ObjectStorage.adopt` for the local adapter. The foreign file is moved into the temporary
 * directory (one rename: same file system), its length checked, the object format's trailer
 * (`local-object-file.ts`) appended after its content and the whole fsynced, then it is linked
 * into place create-only: its content is never copied. Any failure before the link (an existing
 * `key` included) truncates the trailer off and moves the file back where it was; a crash in
 * between, or a failed move back, leaves it in the temporary directory, removed at the next open
 * after an hour.
 */
export async function adoptForeignFile(
  paths: LocalObjectPaths,
  sourceKey: string,
  key: string,
  options: ValidatedPutOptions & { size: number; sha256: string },
  publish: PublishCreateOnly,
): Promise<PutResult> {
  const source = await paths.foreignPath(sourceKey, 'adopt');
  const temporary = paths.temporaryPath();
  try {
    await rename(source, temporary);
  } catch (error) {
    throw translateFsError(error, 'adopt', sourceKey);
  }
  let handle: FileHandle | undefined;
  let trailed = false;
  let publishing = false;
  try {
    handle = await open(temporary, constants.O_RDWR | constants.O_NOFOLLOW);
    const { size } = await handle.stat();
    if (size !== options.size) throw IntegrityError.corrupted(sourceKey, `foreign content of ${size} bytes where ${options.size} were expected`);
    // Objects are 0600 whatever the foreign writer's umask gave the file.
    await handle.chmod(0o600);
    trailed = true;
    await handle.write(encodeTrailer({ size, sha256: options.sha256, ...storedDescription(options) }), 0, undefined, size);
    await handle.sync();
    const { mtime } = await handle.stat();
    await handle.close();
    handle = undefined;
    publishing = true;
    await publish(temporary, key);
    return { key, size, etag: localEtag(options.sha256), sha256: options.sha256, lastModified: mtime };
  } catch (error) {
    await handle?.close();
    const failure = isStorageError(error) ? error : translateFsError(error, 'adopt', key);
    // Past the link (a failed directory fsync) the file may be the object already: it stays.
    if (publishing && failure.code !== 'storage.precondition_failed') throw failure;
    try {
      if (trailed) await truncate(temporary, options.size);
      await rename(temporary, source);
    } catch {
      // The caller learns the adoption's own failure; the file stays in the temporary directory.
    }
    throw failure;
  }
}
