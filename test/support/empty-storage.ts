import type { ObjectStorage } from '../../src/storage/object-storage.js';

/**
 * Removes every object of a storage (a test's S3 key prefix on the shared test bucket), 1,000 keys
 * at a time: what a test leaves there slows down every later listing of the bucket, and fills the
 * test RGW's memory.
 */
export async function emptyStorage(storage: ObjectStorage): Promise<void> {
  let keys: string[] = [];
  for await (const entry of storage.list()) {
    if (entry.kind !== 'object') continue;
    keys.push(entry.key);
    if (keys.length === 1000) {
      await storage.deleteMany(keys);
      keys = [];
    }
  }
  if (keys.length > 0) await storage.deleteMany(keys);
}
