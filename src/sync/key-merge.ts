import { compareKeys } from '../storage/object-key.js';
import type { ListedObject, ObjectStorage } from '../storage/object-storage.js';
import { isTransientKey } from '../storage/internal-keys.js';
import { MIRROR_STATE_PREFIX } from './mirror-manifest.js';

export interface MergedEntry {
  key: string;
  source?: ListedObject;
  destination?: ListedObject;
}

/**
 * Walks two listings at once, both in the port's key order (UTF-8 bytes), and yields each key with
 * what each side has: constant memory however many objects. A listing failure propagates. The
 * mirror's own state (its manifest, under `MIRROR_STATE_PREFIX`) is no object of either side, and neither
 * are transient keys (`isTransientKey`: unfinished resumable uploads, the self-check's probe).
 */
export async function* mergeListings(source: ObjectStorage, destination: ObjectStorage, prefix = ''): AsyncGenerator<MergedEntry> {
  const left = objectsOf(source, prefix);
  const right = objectsOf(destination, prefix);
  let a = await left.next();
  let b = await right.next();
  while (a.done !== true || b.done !== true) {
    const order = a.done === true ? 1 : b.done === true ? -1 : compareKeys(a.value.key, b.value.key);
    if (order < 0 && a.done !== true) {
      yield { key: a.value.key, source: a.value };
      a = await left.next();
    } else if (order > 0 && b.done !== true) {
      yield { key: b.value.key, destination: b.value };
      b = await right.next();
    } else if (a.done !== true && b.done !== true) {
      yield { key: a.value.key, source: a.value, destination: b.value };
      a = await left.next();
      b = await right.next();
    }
  }
}

async function* objectsOf(storage: ObjectStorage, prefix: string): AsyncGenerator<ListedObject> {
  for await (const entry of storage.list({ prefix })) if (entry.kind === 'object' && !entry.key.startsWith(MIRROR_STATE_PREFIX) && !isTransientKey(entry.key)) yield entry;
}
