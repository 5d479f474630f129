import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { PermissionDenied, isStorageError } from '../storage-errors.js';
import { errnoCode, translateFsError } from './local-fs-errors.js';

/**
 * Object file names end with this suffix. A backslash cannot appear in a key, so an object `a`
 * (file `a\obj`) and a prefix `a/` (directory `a`) live side by side.
 */
export const OBJECT_SUFFIX = '\\obj';
/** Temporary files live here, inside the root (same file system, so rename is atomic). */
const TEMP_DIRECTORY = '\\tmp';

/**
 * The local adapter's path confinement: where a key's file lives under the root, and the checks
 * that keep every path inside it. Keys cannot contain `..` (`normalizeKey`); a symbolic link
 * anywhere on the path makes the operation fail with `PermissionDenied`, and objects are opened
 * with `O_NOFOLLOW`.
 */
export class LocalObjectPaths {
  /** Where temporary files are written before they are published. */
  readonly temporaryDirectory: string;

  /** `root` is the real path of the root directory (symbolic links resolved). */
  constructor(readonly root: string) {
    this.temporaryDirectory = join(root, TEMP_DIRECTORY);
  }

  /** A new path in the temporary directory. */
  temporaryPath(name: string = randomUUID()): string {
    return join(this.temporaryDirectory, name);
  }

  /** The key's file path, as written (no check on the file system). */
  lexicalPath(key: string): string {
    const segments = key.split('/');
    const last = segments.pop() as string;
    return join(this.root, ...segments, last + OBJECT_SUFFIX);
  }

  /** The object's path, after checking that no symbolic link leads it out of the root. */
  async objectPath(key: string, operation: string): Promise<string> {
    return this.confined(this.lexicalPath(key), key, operation);
  }

  /**
   * The path of foreign content at `key` (see `ObjectStorage.adopt`): the plain file at the key's
   * path under the root, without the object suffix, checked as `objectPath` is.
   */
  async foreignPath(key: string, operation: string): Promise<string> {
    return this.confined(join(this.root, ...key.split('/')), key, operation);
  }

  private async confined(path: string, key: string, operation: string): Promise<string> {
    const parent = join(path, '..');
    let resolved: string;
    try {
      resolved = await realpath(parent);
    } catch (error) {
      throw translateFsError(error, operation, key);
    }
    if (resolved !== parent) {
      throw PermissionDenied.forOperation(operation, key, { context: { reason: 'symbolic link on the path' } });
    }
    return path;
  }

  /**
   * Opens the object's file for reading, never through a symbolic link. The path is checked while
   * the file is opened (one round trip to the thread pool instead of two), and the file is closed
   * unread when the check refuses the path.
   */
  async openObject(key: string): Promise<FileHandle> {
    const path = this.lexicalPath(key);
    const [checked, opened] = await Promise.allSettled([this.confined(path, key, 'read'), open(path, constants.O_RDONLY | constants.O_NOFOLLOW)]);
    if (checked.status === 'rejected') {
      if (opened.status === 'fulfilled') await opened.value.close();
      throw checked.reason;
    }
    if (opened.status === 'rejected') throw translateFsError(opened.reason, 'read', key);
    return opened.value;
  }

  /** The directory holding keys that start with `directoryKey` (`''` or ending in `/`), if any. */
  async directoryPath(directoryKey: string): Promise<string | undefined> {
    const path = join(this.root, ...directoryKey.split('/').filter((segment) => segment !== ''));
    try {
      const resolved = await realpath(path);
      if (resolved !== path) throw PermissionDenied.forOperation('list', directoryKey, { context: { reason: 'symbolic link on the path' } });
      return path;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
      throw isStorageError(error) ? error : translateFsError(error, 'list', directoryKey);
    }
  }

  /**
   * True when the parent directory of `path` exists and no symbolic link leads out of the root;
   * false when it does not exist yet. A symbolic link raises `PermissionDenied`.
   */
  async parentIsInsideRoot(path: string, key: string): Promise<boolean> {
    const parent = join(path, '..');
    try {
      if ((await realpath(parent)) === parent) return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false;
      throw translateFsError(error, 'put', key);
    }
    throw PermissionDenied.forOperation('put', key, { context: { reason: 'symbolic link on the path' } });
  }

  /** Creates the key's parent directories one by one (0700), refusing symbolic links. */
  async ensureParentDirectories(key: string): Promise<void> {
    const segments = key.split('/').slice(0, -1);
    let current = this.root;
    for (const segment of segments) {
      current = join(current, segment);
      try {
        await mkdir(current, { mode: 0o700 });
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw translateFsError(error, 'put', key);
        const stats = await lstat(current);
        if (!stats.isDirectory()) throw PermissionDenied.forOperation('put', key, { context: { reason: 'path is not a directory' } });
      }
    }
  }
}
