import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultInjectingObjectStorage } from '../../src/storage/decorators/fault-injecting-object-storage.js';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import type { ObjectStorage } from '../../src/storage/object-storage.js';
import { S3ObjectStorage } from '../../src/storage/s3/s3-object-storage.js';
import { mirror } from '../../src/sync/mirror.js';
import { SyncError } from '../../src/sync/sync-errors.js';
import { verify, type Difference } from '../../src/sync/verify.js';
import { SPECIAL_KEYS } from '../storage/object-storage.conformance.js';
import { emptyStorage } from '../support/empty-storage.js';
import { clientFor, testBucket } from '../support/s3-target.js';
import { bytesOf, readAll, sha256 } from '../support/streams.js';
import { DOCSTORE_BIN } from '../support/serve-process.js';

const MiB = 1024 * 1024;

describe('mirror and verify', () => {
  let base: string;
  const clients: Array<{ destroy(): void }> = [];
  /** The S3 key prefixes of this file, emptied at the end (the test bucket is shared). */
  const prefixes: ObjectStorage[] = [];

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'docstore-mirror-'));
  });
  afterAll(async () => {
    for (const storage of prefixes) await emptyStorage(storage);
    for (const client of clients) client.destroy();
    await rm(base, { recursive: true, force: true });
  }, 120_000);

  let counter = 0;
  const local = async () => LocalObjectStorage.open({ root: join(base, `local-${counter++}`) });
  const s3 = async () => {
    const target = inject('s3');
    const client = clientFor(target);
    clients.push(client);
    const bucket = await testBucket(target, client);
    const storage = new S3ObjectStorage({ client, bucket, keyPrefix: target.ownServer ? '' : `mirror-${randomUUID()}/` });
    prefixes.push(storage);
    return { storage, bucket };
  };

  async function seed(storage: ObjectStorage): Promise<Map<string, Buffer>> {
    const contents = new Map<string, Buffer>();
    const keys = [...SPECIAL_KEYS, 'org/b1/doc-1', 'org/b1/doc-2', 'org/b2/large'];
    for (const [index, key] of keys.entries()) {
      const bytes = key === 'org/b2/large' ? bytesOf(7 * MiB, 3) : bytesOf(1000 + index, index);
      contents.set(key, bytes);
      await storage.put(key, bytes, { contentType: 'application/pdf', contentDisposition: `attachment; filename="${index}.pdf"`, metadata: { 'document-id': `id-${index}`, label: 'élève' } });
    }
    return contents;
  }

  async function expectSame(source: ObjectStorage, destination: ObjectStorage, contents: Map<string, Buffer>): Promise<void> {
    const differences: Difference[] = [];
    const summary = await verify(source, destination, { download: true }, (difference) => differences.push(difference));
    expect(differences).toEqual([]);
    expect(summary.checked).toBe(contents.size);
    expect(summary.downloaded).toBe(contents.size);
    for (const [key, bytes] of contents) {
      const { body, info } = await destination.get(key);
      expect(sha256(await readAll(body))).toBe(sha256(bytes));
      const original = await source.stat(key);
      expect(info).toMatchObject({ contentType: original.contentType, contentDisposition: original.contentDisposition, metadata: original.metadata, sha256: original.sha256 });
    }
  }

  for (const [name, from, to] of [
    ['local → S3', local, async () => (await s3()).storage],
    ['S3 → local', async () => (await s3()).storage, local],
    ['S3 → S3 (two buckets)', async () => (await s3()).storage, async () => (await s3()).storage],
  ] as const) {
    it(`${name}: copies everything with its description, verified; a second run copies nothing`, async () => {
      const source = await from();
      const destination = await to();
      const contents = await seed(source);
      const first = await mirror(source, destination);
      expect(first).toMatchObject({ scanned: contents.size, copied: contents.size, skipped: 0, failed: 0 });
      await expectSame(source, destination, contents);
      const second = await mirror(source, destination);
      expect(second).toMatchObject({ scanned: contents.size, copied: 0, skipped: contents.size, failed: 0 });
      // A changed source object is copied again; a dry run changes nothing.
      await source.put('org/b1/doc-1', 'a new version');
      const dryRun = await mirror(source, destination, { dryRun: true });
      expect(dryRun).toMatchObject({ copied: 1, dryRun: true });
      expect((await readAll((await destination.get('org/b1/doc-1')).body)).toString()).not.toBe('a new version');
      expect(await mirror(source, destination)).toMatchObject({ copied: 1, skipped: contents.size - 1 });
      expect((await readAll((await destination.get('org/b1/doc-1')).body)).toString()).toBe('a new version');
    }, 120_000);
  }

  it('include and exclude by prefix', async () => {
    const source = await local();
    const destination = await local();
    await seed(source);
    const summary = await mirror(source, destination, { include: ['org/'], exclude: ['org/b2/'] });
    expect(summary.copied).toBe(2);
    expect(await destination.exists('org/b1/doc-1')).toBe(true);
    expect(await destination.exists('org/b2/large')).toBe(false);
    expect(await destination.exists('plus+sign')).toBe(false);
  });

  it('unfinished resumable uploads and the self-check probe are neither mirrored, verified, nor deleted at the destination', async () => {
    const { storage: source } = await s3();
    const destination = await local();
    await source.put('org/b1/doc', 'd');
    for (const key of ['tus-uploads/0123abcd', 'tus-uploads/0123abcd.info', '.docstore-self-check/probe']) await source.put(key, 'x');
    await destination.put('tus-uploads/ffff.info', 'y');
    expect(await mirror(source, destination, { delete: true })).toMatchObject({ copied: 1, deleted: 0 });
    expect(await destination.exists('tus-uploads/0123abcd.info')).toBe(false);
    expect(await destination.exists('.docstore-self-check/probe')).toBe(false);
    expect(await destination.exists('tus-uploads/ffff.info')).toBe(true);
    const differences: Difference[] = [];
    expect(await verify(source, destination, {}, (difference) => differences.push(difference))).toMatchObject({ checked: 1 });
    expect(differences).toEqual([]);
  });

  it('--delete removes extra objects only within --max-delete, and never after a failed listing', async () => {
    const source = await local();
    const destination = await local();
    await source.put('keep', 'k');
    for (const key of ['extra-1', 'extra-2', 'extra-3']) await destination.put(key, 'x');
    await expect(mirror(source, destination, { delete: true })).rejects.toMatchObject({ code: 'sync.max_delete_exceeded' });
    await expect(mirror(source, destination, { delete: true, maxDelete: 2 })).rejects.toMatchObject({ code: 'sync.max_delete_exceeded' });
    expect(await destination.exists('extra-1')).toBe(true);
    const failingListing = new FaultInjectingObjectStorage(source, { failCall: 1, operations: ['list'] });
    const error = await mirror(failingListing, destination, { delete: true, maxDelete: 100 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).code).toBe('sync.listing_failed');
    for (const key of ['extra-1', 'extra-2', 'extra-3']) expect(await destination.exists(key)).toBe(true);
    expect(await mirror(source, destination, { delete: true, maxDelete: 3 })).toMatchObject({ deleted: 3, failed: 0 });
    expect(await destination.exists('extra-1')).toBe(false);
  });

  it('verify reports missing, extra and different objects; --download finds an object damaged in place', async () => {
    const source = await local();
    const destinationRoot = join(base, `local-${counter++}`);
    const destination = await LocalObjectStorage.open({ root: destinationRoot });
    const contents = await seed(source);
    await mirror(source, destination);
    // Flip one content byte in the destination file, leaving size and stored SHA-256 as they were.
    const file = await open(join(destinationRoot, 'org', 'b1', 'doc-2\\obj'), 'r+');
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, 10);
    await file.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 10);
    await file.close();
    await destination.delete('plus+sign');
    await destination.put('stray', 'x');
    await destination.put('org/b1/doc-1', 'other content of another size');
    const quick: Difference[] = [];
    expect(await verify(source, destination, {}, (d) => quick.push(d))).toMatchObject({ missing: 1, extra: 1, different: 1 });
    expect(quick.map((d) => `${d.kind} ${d.key}`).sort()).toEqual(['different org/b1/doc-1', 'extra stray', 'missing plus+sign']);
    const thorough: Difference[] = [];
    await verify(source, destination, { download: true }, (d) => thorough.push(d));
    expect(thorough.find((d) => d.key === 'org/b1/doc-2')).toMatchObject({ kind: 'different', by: 'content' });
    const sampled = await verify(source, destination, { download: true, samplePercent: 0 });
    expect(sampled.downloaded).toBe(0);
    expect(contents.size).toBeGreaterThan(3);
  });

  it('a source object whose bytes no longer match its SHA-256 is refused, not copied', async () => {
    const sourceRoot = join(base, `local-${counter++}`);
    const source = await LocalObjectStorage.open({ root: sourceRoot });
    const destination = await local();
    await source.put('damaged', bytesOf(5000));
    await source.put('fine', 'fine');
    const file = await open(join(sourceRoot, 'damaged\\obj'), 'r+');
    await file.write(Buffer.from('XX'), 0, 2, 100);
    await file.close();
    const summary = await mirror(source, destination);
    expect(summary).toMatchObject({ copied: 1, failed: 1, mismatched: 1 });
    expect(summary.errors[0]).toMatchObject({ key: 'damaged', code: 'storage.integrity' });
    expect(await destination.exists('damaged')).toBe(false);
  });

  it('10,000 small objects, local → S3: everything arrives, verify passes', async () => {
    const source = await local();
    const destination = (await s3()).storage;
    const keys = Array.from({ length: 10_000 }, (_, i) => `bulk/${String(i % 100).padStart(2, '0')}/${i}`);
    for (let i = 0; i < keys.length; i += 200) await Promise.all(keys.slice(i, i + 200).map((key) => source.put(key, key)));
    const summary = await mirror(source, destination, { concurrency: 32 });
    expect(summary).toMatchObject({ scanned: 10_000, copied: 10_000, failed: 0 });
    expect(await verify(source, destination, { concurrency: 32 })).toMatchObject({ checked: 10_000, missing: 0, extra: 0, different: 0, errors: 0 });
  }, 300_000);

  it('killed during a mirror, a second run finishes the job and verify passes', async () => {
    const sourceRoot = join(base, `local-${counter++}`);
    const destinationRoot = join(base, `local-${counter++}`);
    const source = await LocalObjectStorage.open({ root: sourceRoot });
    for (let i = 0; i < 400; i++) await source.put(`docs/${String(i).padStart(4, '0')}`, bytesOf(64 * 1024, i));
    await source.put('docs/zz-large', bytesOf(30 * MiB, 9));
    const env = { ...process.env, DATA_DIR: join(base, 'cli-data') };
    const args = [DOCSTORE_BIN, 'mirror', `file://${sourceRoot}`, `file://${destinationRoot}`, '--concurrency', '2', '--bwlimit', '20M'];
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const destination = await LocalObjectStorage.open({ root: destinationRoot });
    const deadline = Date.now() + 60_000;
    let copied = 0;
    while (copied < 50 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      copied = 0;
      for await (const _entry of destination.list()) copied++;
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(copied).toBeGreaterThanOrEqual(50);
    const partial = await verify(source, destination);
    expect(partial.missing).toBeGreaterThan(0);
    expect(partial.different).toBe(0); // nothing half-written is visible
    const rerun = spawn(process.execPath, [DOCSTORE_BIN, 'mirror', `file://${sourceRoot}`, `file://${destinationRoot}`, '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    rerun.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => rerun.once('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(output)).toMatchObject({ failed: 0, scanned: 401 });
    expect(await verify(source, destination, { download: true })).toMatchObject({ checked: 401, missing: 0, extra: 0, different: 0 });
  }, 180_000);
});
