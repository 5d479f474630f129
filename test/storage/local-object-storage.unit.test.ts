import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import { isStorageError } from '../../src/storage/storage-errors.js';
import { BufferPool } from '../../src/lib/buffer-pool.js';
import { bytesOf, readAll } from '../support/streams.js';

describe('LocalObjectStorage on disk', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'docstore-local-disk-'));
    root = join(base, 'objects');
    outside = join(base, 'outside');
    await mkdir(outside);
  });
  afterEach(async () => rm(base, { recursive: true, force: true }));

  async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
    return promise.then(
      () => undefined,
      (error: unknown) => (isStorageError(error) ? error.code : String(error)),
    );
  }

  it('creates files 0600 and directories 0700', async () => {
    const storage = await LocalObjectStorage.open({ root });
    await storage.put('org/building/doc', 'secret minutes');
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, 'org'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, 'org', 'building'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, 'org', 'building', 'doc\\obj'))).mode & 0o777).toBe(0o600);
  });

  it('adopts a foreign file as 0600, and never through a symbolic link out of the root', async () => {
    const storage = await LocalObjectStorage.open({ root });
    await mkdir(join(root, 'tus-uploads'), { mode: 0o755 });
    await writeFile(join(root, 'tus-uploads', 'upload'), 'finished upload', { mode: 0o644 });
    const sha256 = 'e1b1bd0bbd3d7aa5e5bc66c3d7dc16d4bd4f1a74a8d8a4ae40c1ba1d61d0e5a9';
    await storage.adopt('tus-uploads/upload', 'org/building/doc', { size: 15, sha256 });
    expect((await stat(join(root, 'org', 'building', 'doc\\obj'))).mode & 0o777).toBe(0o600);
    await writeFile(join(outside, 'foreign'), 'outside the root');
    await symlink(outside, join(root, 'escape'));
    expect(await codeOf(storage.adopt('escape/foreign', 'org/building/other', { size: 16, sha256 }))).toBe('storage.permission_denied');
    expect(await readFile(join(outside, 'foreign'), 'utf8')).toBe('outside the root');
  });

  it('reads a get into lent buffers, one per chunk, ranges included; a file cut short under a read fails with storage.integrity', async () => {
    const storage = await LocalObjectStorage.open({ root });
    const content = bytesOf(700_000);
    await storage.put('large', content);
    const pool = new BufferPool(256 * 1024, 4);
    const lent: Buffer[] = [];
    const buffers = { take: () => lent[lent.push(pool.take()) - 1] as Buffer };
    const chunks: Buffer[] = [];
    for await (const chunk of (await storage.get('large', { buffers })).body) chunks.push(Buffer.from(chunk as Buffer));
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
    expect(chunks.map((chunk) => chunk.length)).toEqual([262_144, 262_144, 175_712]);
    expect(lent).toHaveLength(3);
    const range = await storage.get('large', { buffers, range: { start: 100_000, end: 400_000 } });
    expect((await readAll(range.body)).equals(content.subarray(100_000, 400_001))).toBe(true);
    const cut = await storage.get('large', { buffers });
    await truncate(join(root, 'large\\obj'), 300_000);
    expect(await codeOf(readAll(cut.body))).toBe('storage.integrity');
  });

  it('keeps the content at the start of the file, readable without docstore', async () => {
    const storage = await LocalObjectStorage.open({ root });
    await storage.put('plain', 'hello world');
    expect((await readFile(join(root, 'plain\\obj'))).subarray(0, 11).toString()).toBe('hello world');
  });

  it('never follows a symbolic link placed inside the root', async () => {
    const storage = await LocalObjectStorage.open({ root });
    await writeFile(join(outside, 'secret\\obj'), 'outside the root');
    await symlink(outside, join(root, 'escape'));
    expect(await codeOf(storage.get('escape/secret'))).toBe('storage.permission_denied');
    expect(await codeOf(storage.stat('escape/secret'))).toBe('storage.permission_denied');
    expect(await codeOf(storage.put('escape/new', 'x'))).toBe('storage.permission_denied');
    expect(await codeOf(storage.delete('escape/secret'))).toBe('storage.permission_denied');
    expect(await codeOf(readAllList(storage, 'escape/'))).toBe('storage.permission_denied');
    expect(await readdir(outside)).toEqual(['secret\\obj']);
    // A symbolic link as the object file itself is refused too.
    await mkdir(join(root, 'dir'));
    await symlink(join(outside, 'secret\\obj'), join(root, 'dir', 'link\\obj'));
    expect(await codeOf(storage.get('dir/link'))).toBe('storage.permission_denied');
    // Recursive listings skip links rather than descend into them.
    expect(await listKeys(storage, '')).toEqual([]);
  });

  it('removes stale temporary files at start-up, not those of a writer still at work', async () => {
    await LocalObjectStorage.open({ root });
    await writeFile(join(root, '\\tmp', 'crashed-upload'), 'partial');
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    await utimes(join(root, '\\tmp', 'crashed-upload'), twoHoursAgo, twoHoursAgo);
    await writeFile(join(root, '\\tmp', 'upload-in-progress'), 'partial');
    await LocalObjectStorage.open({ root });
    expect(await readdir(join(root, '\\tmp'))).toEqual(['upload-in-progress']);
  });

  it('removes directories left empty by a delete', async () => {
    const storage = await LocalObjectStorage.open({ root });
    await storage.put('a/b/c/doc', 'x');
    await storage.put('a/keep', 'x');
    await storage.delete('a/b/c/doc');
    expect((await readdir(root)).sort()).toEqual(['\\tmp', 'a']);
    expect(await readdir(join(root, 'a'))).toEqual(['keep\\obj']);
  });

  it('reports a damaged object as storage.integrity, never as garbage', async () => {
    const storage = await LocalObjectStorage.open({ root });
    await storage.put('damaged', 'some content');
    const path = join(root, 'damaged\\obj');
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 3));
    expect(await codeOf(storage.stat('damaged'))).toBe('storage.integrity');
    await writeFile(path, 'short');
    expect(await codeOf(storage.get('damaged'))).toBe('storage.integrity');
  });

  it('check() fails with storage.unavailable when the root is not writable', async () => {
    const storage = await LocalObjectStorage.open({ root });
    await rm(root, { recursive: true });
    await writeFile(root, 'not a directory');
    expect(await codeOf(storage.check())).toBe('storage.unavailable');
  });

  it('accepts the longest keys and segments', async () => {
    const storage = await LocalObjectStorage.open({ root });
    const segment = 'é'.repeat(125); // 250 bytes
    const key = [segment, segment, segment, 'x'.repeat(250), 'y'.repeat(20)].join('/');
    expect(Buffer.byteLength(key)).toBe(1024);
    await storage.put(key, 'long');
    expect((await readAll((await storage.get(key)).body)).toString()).toBe('long');
    expect(await listKeys(storage, '')).toEqual([key]);
  });
});

async function listKeys(storage: LocalObjectStorage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of storage.list({ prefix })) keys.push(entry.kind === 'object' ? entry.key : entry.prefix);
  return keys;
}

async function readAllList(storage: LocalObjectStorage, prefix: string): Promise<string[]> {
  return listKeys(storage, prefix);
}
