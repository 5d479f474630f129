import { randomUUID } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import type { ObjectStorage } from '../../src/storage/object-storage.js';
import { S3ObjectStorage } from '../../src/storage/s3/s3-object-storage.js';
import { mirror } from '../../src/sync/mirror.js';
import { MANIFEST_HEADER, MIRROR_MANIFEST_KEY, manifestLine, type ManifestEntry } from '../../src/sync/mirror-manifest.js';
import { verify, type Difference } from '../../src/sync/verify.js';
import { emptyStorage } from '../support/empty-storage.js';
import { clientFor, testBucket } from '../support/s3-target.js';
import { bytesOf, readAll } from '../support/streams.js';

const MiB = 1024 * 1024;
const KEYS = ['café/résumé.pdf', 'org/b1/doc-1', 'org/b1/doc-2', 'org/b2/large', 'zz/last'];

/** A storage side: the storage, and how to rewrite an object's bytes behind docstore's back. */
interface Side {
  storage: ObjectStorage;
  /** Replaces the object's bytes with `bytes`, keeping (`keepSha256`) or dropping the SHA-256 docstore stored. */
  tamper(key: string, bytes: Buffer, keepSha256: boolean): Promise<void>;
}

/** Counts the `stat` calls made through it (the HEADs of an S3 storage). */
function counting(storage: ObjectStorage): { storage: ObjectStorage; stats: () => number } {
  let stats = 0;
  const proxy = new Proxy(storage, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'stat') {
        return (key: string) => {
          stats++;
          return target.stat(key);
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { storage: proxy, stats: () => stats };
}

describe('mirror manifest: a run with nothing to copy reads no object description, and still sees what changed', () => {
  let base: string;
  const clients: S3Client[] = [];
  /** The S3 key prefixes of this file, emptied at the end (the test bucket is shared). */
  const prefixes: ObjectStorage[] = [];
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'docstore-mirror-manifest-'));
  });
  afterAll(async () => {
    for (const storage of prefixes) await emptyStorage(storage);
    for (const client of clients) client.destroy();
    await rm(base, { recursive: true, force: true });
  }, 120_000);

  const local = async (): Promise<Side> => {
    const root = join(base, randomUUID());
    const storage = await LocalObjectStorage.open({ root });
    return {
      storage,
      // Local disk: another writer's put (a new description), or bytes overwritten in the file, its stored description (size, SHA-256) left as it was.
      async tamper(key, bytes, keepSha256) {
        if (!keepSha256) {
          await (await LocalObjectStorage.open({ root })).put(key, bytes);
          return;
        }
        const file = await open(join(root, ...`${key}\\obj`.split('/')), 'r+');
        await file.write(bytes, 0, bytes.length, 0);
        await file.close();
      },
    };
  };
  const s3 = async (): Promise<Side> => {
    const target = inject('s3');
    const client = clientFor(target);
    clients.push(client);
    const bucket = await testBucket(target, client);
    const keyPrefix = target.ownServer ? '' : `mirror-manifest-${randomUUID()}/`;
    const storage = new S3ObjectStorage({ client, bucket, keyPrefix });
    prefixes.push(storage);
    return {
      storage,
      // S3: another tool's PutObject of the key; it gets a new ETag.
      async tamper(key, bytes, keepSha256) {
        const info = await storage.stat(key);
        const Metadata: Record<string, string> = keepSha256 && info.sha256 !== undefined ? { 'docstore-sha256': info.sha256 } : {};
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${keyPrefix}${key}`, Body: bytes, Metadata }));
      },
    };
  };

  async function seed(storage: ObjectStorage): Promise<void> {
    for (const [index, key] of KEYS.entries()) await storage.put(key, key === 'org/b2/large' ? bytesOf(6 * MiB, index) : bytesOf(2000 + index, index), { contentType: 'application/pdf' });
  }

  async function differences(source: ObjectStorage, destination: ObjectStorage, download: boolean): Promise<Difference[]> {
    const found: Difference[] = [];
    await verify(source, destination, { download }, (difference) => found.push(difference));
    return found;
  }

  for (const [name, from, to] of [
    ['local → S3', local, s3],
    ['S3 → S3', s3, s3],
    ['S3 → local', s3, local],
    ['local → local', local, local],
  ] as const) {
    it(`${name}: the second run and verify stat nothing; a changed object is found, a damaged one by verify --download`, async () => {
      const source = counting((await from()).storage);
      const destinationSide = await to();
      const destination = counting(destinationSide.storage);
      await seed(source.storage);
      const first = await mirror(source.storage, destination.storage);
      expect(first).toMatchObject({ copied: KEYS.length, failed: 0, manifest: { state: 'absent', written: true } });
      expect(await destination.storage.exists(MIRROR_MANIFEST_KEY)).toBe(true);

      const [sourceStats, destinationStats] = [source.stats(), destination.stats()];
      const second = await mirror(source.storage, destination.storage, { delete: true });
      expect(second).toMatchObject({ copied: 0, skipped: KEYS.length, deleted: 0, failed: 0, manifest: { state: 'read', written: false } });
      expect(await differences(source.storage, destination.storage, false)).toEqual([]);
      expect([source.stats() - sourceStats, destination.stats() - destinationStats]).toEqual([0, 0]);

      // Changed behind docstore's back: other bytes of the same size, without docstore's SHA-256.
      await destinationSide.tamper('org/b1/doc-1', bytesOf(2001, 42), false);
      expect(await differences(source.storage, destination.storage, false)).toMatchObject([{ key: 'org/b1/doc-1', kind: 'different', by: 'sha256' }]);
      const repaired = await mirror(source.storage, destination.storage);
      // The copy has the ETag the manifest recorded (the same content), so the manifest stands unchanged.
      expect(repaired).toMatchObject({ copied: 1, skipped: KEYS.length - 1, failed: 0 });
      expect(await differences(source.storage, destination.storage, true)).toEqual([]);

      // Damaged in place: the stored SHA-256 still claims the old content; only re-reading the bytes tells.
      await destinationSide.tamper('org/b1/doc-2', bytesOf(2002, 43), true);
      expect(await differences(source.storage, destination.storage, false)).toEqual([]);
      expect(await differences(source.storage, destination.storage, true)).toMatchObject([{ key: 'org/b1/doc-2', kind: 'different', by: 'content' }]);
    }, 120_000);
  }

  /** Writes a manifest as a previous run would have, with the entries given. */
  async function writeManifest(storage: ObjectStorage, entries: ManifestEntry[]): Promise<void> {
    await storage.put(MIRROR_MANIFEST_KEY, gzipSync(`${MANIFEST_HEADER}\n${entries.map(manifestLine).join('')}`));
  }

  async function manifestOf(storage: ObjectStorage): Promise<ManifestEntry[]> {
    const { gunzipSync } = await import('node:zlib');
    const text = gunzipSync(await readAll((await storage.get(MIRROR_MANIFEST_KEY)).body)).toString('utf8');
    const [header, ...lines] = text.trimEnd().split('\n');
    expect(header).toBe(MANIFEST_HEADER);
    return lines.map((line) => {
      const [key, size, destinationEtag, sourceEtag, sha256] = line.split('\t') as [string, string, string, string, string];
      return { key, size: Number(size), destinationEtag, sourceEtag, sha256 };
    });
  }

  it('the manifest is trusted only while the listed ETag and size match what it recorded (S3 → S3)', async () => {
    const source = (await s3()).storage;
    const destination = (await s3()).storage;
    await seed(source);
    await mirror(source, destination);
    const recorded = await manifestOf(destination);
    expect(recorded.map((entry) => entry.key)).toEqual(KEYS);
    for (const entry of recorded) {
      const [from, to] = await Promise.all([source.stat(entry.key), destination.stat(entry.key)]);
      expect(entry).toEqual({ key: entry.key, size: to.size, destinationEtag: to.etag, sourceEtag: from.etag, sha256: to.sha256 });
    }
    const wrong = 'f'.repeat(64);
    const [doc1, doc2] = [recorded[1] as ManifestEntry, recorded[2] as ManifestEntry];
    // doc-1: a wrong SHA-256 under the ETag the destination still lists is believed for the destination
    // (the source, listed with another ETag, is stat'ed): they differ, so the object is copied again.
    // doc-2: a wrong SHA-256 under ETags neither side lists any more is not: both sides are stat'ed and agree.
    await writeManifest(destination, [
      recorded[0] as ManifestEntry,
      { ...doc1, sha256: wrong, sourceEtag: 'another' },
      { ...doc2, sha256: wrong, destinationEtag: 'another', sourceEtag: 'another' },
      ...recorded.slice(3),
    ]);
    const events: string[] = [];
    const run = await mirror(source, destination, {}, (event) => events.push(`${event.action} ${event.key}${event.reason ? ` ${event.reason}` : ''}`));
    expect(run).toMatchObject({ copied: 1, failed: 0, manifest: { state: 'read', written: true } });
    expect(events).toContain('copy org/b1/doc-1 sha256');
    expect(events).toContain('skip org/b1/doc-2');
    // The new manifest records what this run established.
    const rewritten = await manifestOf(destination);
    expect(rewritten.find((entry) => entry.key === 'org/b1/doc-2')).toMatchObject({ sha256: doc2.sha256, destinationEtag: doc2.destinationEtag });
    expect(rewritten.find((entry) => entry.key === 'org/b1/doc-1')?.sha256).toBe(doc1.sha256);
  }, 120_000);

  it('a damaged or unknown manifest is ignored from where it goes wrong, reported, and replaced', async () => {
    const source = counting((await local()).storage);
    const destination = counting((await s3()).storage);
    await seed(source.storage);
    await mirror(source.storage, destination.storage);
    const recorded = await manifestOf(destination.storage);
    for (const [content, reason] of [
      [Buffer.from('not gzip at all'), /header|gzip|incorrect/i],
      [gzipSync('docstore-mirror-manifest\t99\n'), /unknown format/],
      [gzipSync(`${MANIFEST_HEADER}\n${manifestLine(recorded[1] as ManifestEntry)}${manifestLine(recorded[0] as ManifestEntry)}`), /out of order/],
      [gzipSync(`${MANIFEST_HEADER}\n${manifestLine(recorded[0] as ManifestEntry)}a line\twith\ttoo few fields\n`), /malformed/],
    ] as const) {
      await destination.storage.put(MIRROR_MANIFEST_KEY, content);
      const stats = destination.stats();
      const run = await mirror(source.storage, destination.storage);
      expect(run).toMatchObject({ copied: 0, failed: 0, manifest: { state: 'damaged', written: true } });
      expect((run.manifest as { reason: string }).reason).toMatch(reason);
      expect(destination.stats() - stats).toBeGreaterThanOrEqual(KEYS.length - 1);
      expect(await manifestOf(destination.storage)).toEqual(recorded);
    }
  }, 120_000);

  it('include, exclude, failures and a dry run: the manifest keeps what is still true and nothing else', async () => {
    const source = (await local()).storage;
    const destination = counting((await s3()).storage);
    await seed(source);
    const dryRun = await mirror(source, destination.storage, { dryRun: true });
    expect(dryRun).toMatchObject({ copied: KEYS.length, manifest: { state: 'absent', written: false } });
    expect(await destination.storage.exists(MIRROR_MANIFEST_KEY)).toBe(false);
    await mirror(source, destination.storage, { include: ['org/'] });
    expect((await manifestOf(destination.storage)).map((entry) => entry.key)).toEqual(['org/b1/doc-1', 'org/b1/doc-2', 'org/b2/large']);
    // Keys outside the filter keep their entries; copied ones get theirs.
    await mirror(source, destination.storage, { exclude: ['org/'] });
    expect((await manifestOf(destination.storage)).map((entry) => entry.key)).toEqual(KEYS);
    // An object removed from the destination loses its entry; the run that copies it back gives it one again.
    await destination.storage.delete('zz/last');
    const stats = destination.stats();
    expect(await mirror(source, destination.storage)).toMatchObject({ copied: 1, skipped: KEYS.length - 1 });
    expect(destination.stats()).toBe(stats);
    expect((await manifestOf(destination.storage)).map((entry) => entry.key)).toEqual(KEYS);
  }, 120_000);
});
