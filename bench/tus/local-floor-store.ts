import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FloorStore } from './floor-store.js';

/**
 * The floor on local disk. `put`: the body streamed into a new file, fsynced, renamed into place,
 * the directory fsynced. Uploads: `create` makes an empty file; each `append` writes its body at
 * the end of the file (the offset is the file's size), the write finished before it answers; the
 * one that makes the file whole fsyncs it, renames it into place and fsyncs the directory.
 */
export class LocalFloorStore implements FloorStore {
  private readonly lengths = new Map<string, number>();

  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<LocalFloorStore> {
    await mkdir(join(root, 'incoming'), { recursive: true });
    await mkdir(join(root, 'objects'), { recursive: true });
    return new LocalFloorStore(root);
  }

  async put(body: IncomingMessage): Promise<void> {
    const id = randomUUID();
    await pipeline(body, createWriteStream(join(this.root, 'incoming', id), { flush: true }));
    await this.putInPlace(id);
  }

  async create(length: number): Promise<string> {
    const id = randomUUID();
    await (await open(join(this.root, 'incoming', id), 'wx')).close();
    this.lengths.set(id, length);
    return id;
  }

  async append(id: string, offset: number, bytes: number, body: IncomingMessage): Promise<number> {
    const path = join(this.root, 'incoming', id);
    const length = this.lengths.get(id);
    if (length === undefined || (await stat(path)).size !== offset) throw new Error(`upload ${id} is not at offset ${offset}`);
    const end = offset + bytes;
    await pipeline(body, createWriteStream(path, { flags: 'a', flush: end === length }));
    if (end === length) {
      this.lengths.delete(id);
      await this.putInPlace(id);
    }
    return end;
  }

  async clean(): Promise<void> {
    await rm(join(this.root, 'objects'), { recursive: true, force: true });
    await mkdir(join(this.root, 'objects'));
  }

  /** Renames a whole, fsynced file from `incoming/` into `objects/`, then fsyncs that directory. */
  private async putInPlace(id: string): Promise<void> {
    const objects = join(this.root, 'objects');
    await rename(join(this.root, 'incoming', id), join(objects, id));
    const directory = await open(objects, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}
