import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BackupRepository, Snapshot } from '../../src/backup/repository/backup-repository.js';
import { readManifest, restoreSnapshot } from '../../src/backup/backup-restore.js';
import { initRepository } from '../../src/backup/backup-setup.js';
import { verifyRepository } from '../../src/backup/backup-verify.js';
import type { Manifest } from '../../src/backup/format/backup-manifest.js';
import { openDatabase } from '../../src/db/database.js';
import type { Document } from '../../src/shared/document.js';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import { backUpService, backupKeys, localRepositoryLocation, type BackupKeys, type RepositoryLocation } from '../support/backup-fixture.js';
import { localSqliteService, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';
import { registerBuilding } from '../support/buildings.js';

/**
 * Damage of every kind gives an error naming the documents concerned, never wrong bytes: the target
 * never shows an object whose content did not check out, and its row is restored as `broken`.
 */
describe('backup integrity: flipped, truncated, swapped and missing blobs, wrong keys (repository in a directory)', () => {
  let source: ServiceFixture;
  let keys: BackupKeys;
  let location: RepositoryLocation;
  let repository: BackupRepository;
  let snapshot: Snapshot;
  let manifest: Manifest;
  const documents: Document[] = [];
  const saved = new Map<string, Buffer>();

  beforeAll(async () => {
    source = await localSqliteService();
    keys = await backupKeys();
    location = await localRepositoryLocation();
    repository = (await initRepository(location.storage, [keys.publicKey], source.config.dataDir)).repository;
    const auth = { authorization: `Bearer ${await source.token('syndic')}` };
    const building = await registerBuilding(source);
    // Two documents of one size: their blobs have one padded length.
    for (const size of [20_000, 70_000, 300_000, 70_000]) {
      const { payload, headers } = documentUpload({ title: `Document ${size}`, content: pdfOfSize(size) });
      const response = await source.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
      documents.push(response.json() as Document);
    }
    await backUpService(source, repository);
    snapshot = await repository.findSnapshot('latest');
    manifest = await readManifest(repository, snapshot, [keys.privateKey]);
  });
  afterAll(async () => {
    await source?.close();
    await location?.close();
    await keys?.close();
  });

  const blobOf = (document: Document) => manifest.objects.find((object) => object.key.endsWith(document.id))?.blob as string;
  const blobPath = (name: string) => join(fileURLToPath(location.url), 'data', name.slice(0, 2), `${name}\\obj`);
  const blobKey = (name: string) => `data/${name.slice(0, 2)}/${name}`;

  /** Keeps the original bytes so that each test can damage the repository and the next one starts clean. */
  async function damage(name: string, change: (bytes: Buffer) => Promise<void>): Promise<void> {
    if (!saved.has(name)) saved.set(name, await buffer((await location.storage.get(blobKey(name))).body));
    await change(saved.get(name) as Buffer);
  }
  afterEach(async () => {
    for (const [name, bytes] of saved) await location.storage.put(blobKey(name), bytes);
    saved.clear();
  });

  async function restoreIntoEmpty(restored = snapshot) {
    const dir = await mkdtemp(join(tmpdir(), 'docstore-restore-target-'));
    const storage = await LocalObjectStorage.open({ root: join(dir, 'objects') });
    const { db } = openDatabase({ dialect: 'sqlite', path: join(dir, 'docstore.sqlite') });
    try {
      const summary = await restoreSnapshot({ repository, snapshot: restored, keys: [keys.privateKey], storage, db });
      const rows = await db.selectFrom('documents').select(['id', 'status']).execute();
      const present = new Map<string, boolean>();
      for (const document of documents) present.set(document.id, await storage.exists(`${document.organizationId}/${document.buildingId}/${document.id}`));
      return { summary, statusOf: (id: string) => rows.find((row) => row.id === id)?.status, present };
    } finally {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('an intact repository verifies, with and without reading, and restores every document', async () => {
    expect((await verifyRepository({ repository })).problems).toEqual([]);
    expect((await verifyRepository({ repository, readData: true })).problems).toEqual([]);
    const withKey = await verifyRepository({ repository, readData: true, keys: [keys.privateKey] });
    expect(withKey.problems).toEqual([]);
    expect(withKey.read).toBe(documents.length + 1);
    const { summary, statusOf } = await restoreIntoEmpty();
    expect(summary.failures).toEqual([]);
    for (const document of documents) expect(statusOf(document.id)).toBe('active');
  });

  it('--sample reads that share of the documents (the database dump always)', async () => {
    const none = await verifyRepository({ repository, readData: true, keys: [keys.privateKey], samplePercent: 0 });
    expect(none.read).toBe(1);
    const draws = [0.1, 0.9, 0.4];
    const some = await verifyRepository({ repository, readData: true, keys: [keys.privateKey], samplePercent: 50, random: () => draws.shift() ?? 1 });
    expect(some.read).toBe(1 + 2);
  });

  it('a byte flipped on disk (bit rot): found by reading, named by document, never restored as content', async () => {
    const victim = documents[1] as Document;
    await damage(blobOf(victim), async () => {
      const handle = await open(blobPath(blobOf(victim)), 'r+');
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, 5000);
      byte[0] = (byte[0] as number) ^ 0x01;
      await handle.write(byte, 0, 1, 5000);
      await handle.close();
    });
    // The stored hash still claims the old content: only reading finds it.
    expect((await verifyRepository({ repository })).problems).toEqual([]);
    expect((await verifyRepository({ repository, readData: true })).problems).toMatchObject([{ code: 'backup.blob_hash', blob: blobOf(victim) }]);
    const withKey = await verifyRepository({ repository, readData: true, keys: [keys.privateKey] });
    expect(withKey.problems).toMatchObject([{ code: 'backup.integrity', key: expect.stringContaining(victim.id) }]);
    const { summary, statusOf, present } = await restoreIntoEmpty();
    expect(summary.failures).toMatchObject([{ documentId: victim.id, code: 'backup.integrity' }]);
    expect(statusOf(victim.id)).toBe('broken');
    expect(present.get(victim.id)).toBe(false);
    expect(statusOf((documents[0] as Document).id)).toBe('active');
  });

  it('a truncated blob: the size check finds it without reading; restore names the document', async () => {
    const victim = documents[2] as Document;
    await damage(blobOf(victim), async (bytes) => {
      await location.storage.put(blobKey(blobOf(victim)), bytes.subarray(0, bytes.length - 1000));
    });
    expect((await verifyRepository({ repository })).problems).toMatchObject([{ code: 'backup.blob_size', blob: blobOf(victim) }]);
    const { summary, statusOf, present } = await restoreIntoEmpty();
    expect(summary.failures).toMatchObject([{ documentId: victim.id, code: 'backup.integrity' }]);
    expect(statusOf(victim.id)).toBe('broken');
    expect(present.get(victim.id)).toBe(false);
  });

  it("a blob swapped for another document's (valid OpenPGP, wrong content) is caught", async () => {
    const victim = documents[0] as Document;
    const other = documents[1] as Document;
    await damage(blobOf(victim), async () => {
      await location.storage.put(blobKey(blobOf(victim)), await buffer((await location.storage.get(blobKey(blobOf(other)))).body));
    });
    const withKey = await verifyRepository({ repository, readData: true, keys: [keys.privateKey] });
    // The stored size no longer matches the snapshot's, and the content not the manifest's.
    expect(withKey.problems).toMatchObject([
      { code: 'backup.blob_size', blob: blobOf(victim) },
      { code: 'backup.integrity', key: expect.stringContaining(victim.id) },
    ]);
    const { summary, present } = await restoreIntoEmpty();
    expect(summary.failures).toMatchObject([{ documentId: victim.id, code: 'backup.integrity' }]);
    expect(present.get(victim.id)).toBe(false);
  });

  it("a blob swapped for another document's of the same size, with the snapshot's record rewritten to match: the plaintext SHA-256 catches it, and nothing is stored", async () => {
    const victim = documents[1] as Document;
    const other = documents[3] as Document;
    const [victimBlob, otherBlob] = [blobOf(victim), blobOf(other)];
    expect(victimBlob).not.toBe(otherBlob);
    await damage(victimBlob, async () => {
      await location.storage.put(blobKey(victimBlob), await buffer((await location.storage.get(blobKey(otherBlob))).body));
    });
    // Whoever can write snapshots/ makes the ciphertext checks pass: size and SHA-256 are the other blob's.
    const otherRecord = snapshot.blobs.find(([name]) => name === otherBlob) as [string, number, string];
    const rewritten: Snapshot = { ...snapshot, blobs: snapshot.blobs.map((record) => (record[0] === victimBlob ? [victimBlob, otherRecord[1], otherRecord[2]] : record)) };
    const { summary, statusOf, present } = await restoreIntoEmpty(rewritten);
    expect(summary.failures).toMatchObject([{ documentId: victim.id, code: 'backup.integrity', message: expect.stringContaining('does not match the SHA-256 in the manifest') }]);
    expect(statusOf(victim.id)).toBe('broken');
    expect(present.get(victim.id)).toBe(false);
    expect(present.get(other.id)).toBe(true);
  });

  it('a missing blob: verify names it, restore names the document', async () => {
    const victim = documents[1] as Document;
    await damage(blobOf(victim), async () => {
      await location.storage.delete(blobKey(blobOf(victim)));
    });
    expect((await verifyRepository({ repository })).problems).toMatchObject([{ code: 'backup.blob_missing', blob: blobOf(victim), snapshotId: snapshot.id }]);
    const { summary, statusOf } = await restoreIntoEmpty();
    expect(summary.failures).toMatchObject([{ documentId: victim.id, code: 'backup.blob_missing' }]);
    expect(statusOf(victim.id)).toBe('broken');
  });

  it('a damaged manifest stops the restore with an integrity error before anything is written', async () => {
    await damage(snapshot.manifest.name, async (bytes) => {
      const altered = Buffer.from(bytes);
      altered[altered.length - 10] = (altered[altered.length - 10] as number) ^ 0xff;
      await location.storage.put(blobKey(snapshot.manifest.name), altered);
    });
    await expect(readManifest(repository, snapshot, [keys.privateKey])).rejects.toMatchObject({ code: 'backup.integrity' });
    await expect(restoreIntoEmpty()).rejects.toMatchObject({ code: 'backup.integrity' });
  });

  it('a wrong private key is a key error, not garbage', async () => {
    const other = await backupKeys('not the backup key');
    try {
      await expect(readManifest(repository, snapshot, [other.privateKey])).rejects.toMatchObject({ code: 'backup.wrong_key' });
      const verified = await verifyRepository({ repository, readData: true, keys: [other.privateKey] });
      expect(verified.problems).toMatchObject([{ code: 'backup.wrong_key', blob: snapshot.manifest.name }]);
    } finally {
      await other.close();
    }
  });
});
