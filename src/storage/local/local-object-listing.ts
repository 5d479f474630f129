import { constants, type Dirent } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { compareKeys, normalizePrefix } from '../object-key.js';
import type { ListEntry, ListOptions } from '../object-storage.js';
import { errnoCode, translateFsError } from './local-fs-errors.js';
import { localEtag, readTrailer } from './local-object-file.js';
import { OBJECT_SUFFIX, type LocalObjectPaths } from './local-object-paths.js';

/** Object descriptions read at once ahead of the listing's consumer, within one directory. */
const READ_AHEAD = 16;
const DONE: Promise<undefined> = Promise.resolve(undefined);

/**
 * `ObjectStorage.list` for the local adapter: walks the directories under the prefix, one
 * directory in memory at a time, in key order.
 */
export async function* listLocalObjects(paths: LocalObjectPaths, options: ListOptions = {}): AsyncIterable<ListEntry> {
  const prefix = normalizePrefix(options.prefix);
  const startAfter = options.startAfter === undefined ? undefined : options.startAfter.normalize('NFC');
  const recursive = options.recursive ?? true;
  const lastSlash = prefix.lastIndexOf('/');
  const directoryKey = prefix.slice(0, lastSlash + 1);
  const directory = await paths.directoryPath(directoryKey);
  if (directory === undefined) return;
  yield* walk(directory, directoryKey, prefix, recursive, startAfter);
}

/**
 * Yields the entries of one directory in key order (the directory's names in memory, its objects'
 * descriptions read `READ_AHEAD` at a time). Sorting each directory by `name` for objects
 * and `name/` for sub-directories gives the global UTF-8 byte order of keys.
 */
async function* walk(directory: string, directoryKey: string, prefix: string, recursive: boolean, startAfter: string | undefined): AsyncGenerator<ListEntry> {
  let entries: Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw translateFsError(error, 'list', directoryKey);
  }
  const items: Array<{ key: string; directory: boolean; name: string }> = [];
  for (const entry of entries) {
    if (entry.isDirectory() && !entry.name.includes('\\')) {
      items.push({ key: `${directoryKey}${entry.name}/`, directory: true, name: entry.name });
    } else if (entry.isFile() && entry.name.endsWith(OBJECT_SUFFIX)) {
      const base = entry.name.slice(0, -OBJECT_SUFFIX.length);
      if (!base.includes('\\')) items.push({ key: `${directoryKey}${base}`, directory: false, name: entry.name });
    }
  }
  items.sort((a, b) => compareKeys(a.key, b.key));
  // The objects' descriptions are read a few at once, ahead of the one yielded, in key order.
  const objects = items.filter((item) => !item.directory && item.key.startsWith(prefix) && (startAfter === undefined || compareKeys(item.key, startAfter) > 0));
  const reads: Array<Promise<ListEntry | undefined>> = [];
  let next = 0;
  for (const item of items) {
    if (!item.key.startsWith(prefix)) continue;
    if (!item.directory) {
      if (startAfter !== undefined && compareKeys(item.key, startAfter) <= 0) continue;
      while (reads.length < Math.min(objects.length, next + READ_AHEAD)) {
        const ahead = objects[reads.length] as (typeof objects)[number];
        const read = listedObject(join(directory, ahead.name), ahead.key);
        // Awaited in turn below; a listing abandoned early must not leave an unhandled rejection.
        read.catch(() => undefined);
        reads.push(read);
      }
      const object = await (reads[next] as Promise<ListEntry | undefined>);
      reads[next++] = DONE;
      if (object !== undefined) yield object;
      continue;
    }
    if (startAfter !== undefined && compareKeys(item.key, startAfter) <= 0 && !startAfter.startsWith(item.key)) continue;
    const path = join(directory, item.name);
    if (recursive) {
      yield* walk(path, item.key, prefix, true, startAfter);
    } else if ((startAfter === undefined || compareKeys(item.key, startAfter) > 0) && (await containsObject(path, item.key))) {
      yield { kind: 'prefix', prefix: item.key };
    }
  }
}

async function listedObject(path: string, key: string): Promise<ListEntry | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined; // deleted while listing
    throw translateFsError(error, 'list', key);
  }
  try {
    const { description, mtime } = await readTrailer(handle, key);
    return { kind: 'object', key, size: description.size, lastModified: mtime, etag: localEtag(description.sha256), sha256: description.sha256 };
  } finally {
    await handle.close();
  }
}

async function containsObject(directory: string, directoryKey: string): Promise<boolean> {
  for await (const _entry of walk(directory, directoryKey, directoryKey, true, undefined)) return true;
  return false;
}
