import { randomUUID } from 'node:crypto';
import type { ObjectStorage } from '../storage/object-storage.js';
import { IntegrityError } from '../storage/storage-errors.js';
import { INTERNAL_PREFIXES } from '../storage/internal-keys.js';

export interface SelfCheckReport {
  backend: string;
  /** Milliseconds for the put, the get (read to the end) and the delete of a probe object. */
  putMs: number;
  getMs: number;
  deleteMs: number;
}

/**
 * Writes, reads back and deletes a small probe object under `.docstore-self-check/`, checking its
 * content and SHA-256: proves the storage works end to end, beyond reachability.
 */
export async function storageSelfCheck(storage: ObjectStorage): Promise<SelfCheckReport> {
  const key = `${INTERNAL_PREFIXES.selfCheck}${randomUUID()}`;
  const content = `docstore self-check ${new Date().toISOString()}`;
  const t0 = performance.now();
  const put = await storage.put(key, content, { contentType: 'text/plain' });
  const t1 = performance.now();
  let t2 = t1;
  try {
    const { body, info } = await storage.get(key);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    t2 = performance.now();
    if (Buffer.concat(chunks).toString() !== content || info.sha256 !== put.sha256) {
      throw IntegrityError.corrupted(key, 'the probe object did not read back identically');
    }
  } finally {
    await storage.delete(key);
  }
  return { backend: storage.name, putMs: t1 - t0, getMs: t2 - t1, deleteMs: performance.now() - t2 };
}
