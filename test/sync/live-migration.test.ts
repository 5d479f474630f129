import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintToken } from '../../src/auth/jwt-verifier.js';
import { loadConfig, type DocstoreConfig } from '../../src/config.js';
import type { Document } from '../../src/shared/document.js';
import { contentDisposition } from '../../src/shared/file-name.js';
import { createService, type Service } from '../../src/http/server.js';
import type { ObjectStorage } from '../../src/storage/object-storage.js';
import { mirror, type MirrorOptions, type MirrorSummary } from '../../src/sync/mirror.js';
import { openLocation, type SyncLocation } from '../../src/sync/sync-location.js';
import { MIRROR_MANIFEST_KEY, MIRROR_STATE_PREFIX } from '../../src/sync/mirror-manifest.js';
import { verify, type Difference, type VerifySummary } from '../../src/sync/verify.js';
import { SAMPLES } from '../support/sample-files.js';
import { JWT_SECRET, ORG_A } from '../support/service-fixture.js';
import { clientFor, s3EnvironmentOf, testBucket } from '../support/s3-target.js';
import { multipartBody, pdfOfSize } from '../support/upload-request.js';
import { DOCSTORE_BIN } from '../support/serve-process.js';

/**
 * The procedure of docs/migration.md, in one process: a service on local disk and SQLite moves to
 * a bucket (A) while it keeps serving uploads, then to another bucket (B, under a key prefix), each
 * time on the SAME SQLite database with only the storage settings switched; then rolls back to the
 * local disk. Mirrors and verifications go through `openLocation` and `mirror`/`verify`, as the
 * CLI does; one verification goes through the CLI itself, with the remote's secrets in an env file.
 */

const MiB = 1024 * 1024;

interface Uploaded {
  document: Document;
  bytes: Buffer;
}

describe('live migration: local → bucket A → bucket B (prefixed), and rollback to local', () => {
  const target = inject('s3');
  const remoteEnv: Record<string, string> = {
    DOCSTORE_REMOTE_RGW_ENDPOINT: target.endpoint,
    DOCSTORE_REMOTE_RGW_REGION: target.region,
    DOCSTORE_REMOTE_RGW_ACCESS_KEY: target.accessKeyId,
    DOCSTORE_REMOTE_RGW_SECRET_KEY: target.secretAccessKey,
    DOCSTORE_REMOTE_RGW_PATH_STYLE: String(target.forcePathStyle),
  };
  const run = randomBytes(4).toString('hex');
  let dataDir: string;
  let bucketA: string;
  let bucketB: string;
  // On the suite's own RGW, bucket A is a whole fresh bucket and bucket B is used under `docstore/`
  // (S3_KEY_PREFIX); on a shared bucket (S3_TEST_*) both are prefixes of it.
  let prefixA: string;
  let prefixB: string;
  const locations: SyncLocation[] = [];
  let service: { name: string; service: Service; config: DocstoreConfig } | undefined;
  /** Every document uploaded and not purged, by id, with the bytes that were sent. */
  const uploaded = new Map<string, Uploaded>();
  /** Ids of documents in the trash (their content is not served until restored). */
  const inTrash = new Set<string>();
  const building = randomUUID();
  let token: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'docstore-live-migration-'));
    const client = clientFor(target);
    bucketA = await testBucket(target, client);
    bucketB = await testBucket(target, client);
    client.destroy();
    prefixA = target.ownServer ? '' : `live-migration-${run}/a/`;
    prefixB = target.ownServer ? 'docstore/' : `live-migration-${run}/b/`;
    token = await mintToken(Buffer.from(JWT_SECRET), { sub: 'syndic-migration', org: ORG_A, role: 'syndic', ttlSeconds: 900 });
  });

  afterAll(async () => {
    await service?.service.close();
    for (const location of locations) await location.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  // --- environments: only the storage settings change between services -------------------------

  const localEnv = (): Record<string, string> => ({});
  const s3Env = (bucket: string, keyPrefix: string): Record<string, string> => s3EnvironmentOf(target, bucket, keyPrefix);
  const configOf = (storageEnv: Record<string, string>, extra: Record<string, string> = {}) =>
    loadConfig({ DATA_DIR: dataDir, DOCSTORE_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'silent', ...storageEnv, ...extra });

  /** Stops the running service, if any, and starts one with `config` (same DATA_DIR, so the same SQLite file). */
  async function switchTo(name: string, config: DocstoreConfig): Promise<Service> {
    await service?.service.close();
    service = undefined;
    const started = await createService(config, { logger: false });
    service = { name, service: started, config };
    return started;
  }

  const current = (): Service => {
    if (service === undefined) throw new Error('no service is running');
    return service.service;
  };

  async function open(text: string, config: DocstoreConfig): Promise<SyncLocation> {
    const location = await openLocation(text, config, 'destination', remoteEnv);
    locations.push(location);
    return location;
  }

  // --- API helpers ------------------------------------------------------------------------------

  const auth = () => ({ authorization: `Bearer ${token}` });

  /** The building is registered once, on the first upload: the SQLite file goes along with every switch. */
  let registered = false;

  async function upload(fileName: string, content: Buffer, type = 'invoice'): Promise<Document> {
    if (!registered) {
      const response = await current().app.inject({ method: 'POST', url: '/api/v1/buildings', payload: { id: building, name: 'Résidence du Parc' }, headers: auth() });
      expect(response.statusCode, response.body).toBe(201);
      registered = true;
    }
    const { payload, headers } = multipartBody([
      { name: 'type', value: type },
      { name: 'title', value: `${fileName} (${service?.name ?? ''})` },
      { name: 'file', fileName, content },
    ]);
    const response = await current().app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth() } });
    expect(response.statusCode, response.body).toBe(201);
    const document = response.json() as Document;
    uploaded.set(document.id, { document, bytes: content });
    return document;
  }

  async function uploadBatch(label: string, count: number): Promise<Document[]> {
    const documents: Document[] = [];
    for (let i = 0; i < count; i++) documents.push(await upload(`${label}-${i}.pdf`, pdfOfSize(2_000 + i * 777)));
    return documents;
  }

  /** Downloads every live document through the API and compares bytes and headers with the upload. */
  async function expectEveryDocumentServed(app: Service['app']): Promise<void> {
    expect(uploaded.size).toBeGreaterThan(0);
    for (const { document, bytes } of uploaded.values()) {
      if (inTrash.has(document.id)) continue;
      const response = await app.inject({ url: `/api/v1/documents/${document.id}/content`, headers: auth() });
      expect(response.statusCode, `${document.fileName}: ${response.body.slice(0, 200)}`).toBe(200);
      expect(response.rawPayload.equals(bytes), `${document.fileName}: bytes differ`).toBe(true);
      expect(response.headers['content-type']).toBe(document.mimeType);
      expect(response.headers.etag).toBe(`"${document.sha256}"`);
      expect(response.headers['content-disposition']).toBe(contentDisposition(document.fileName));
    }
  }

  /** The storage keys the database holds for every document (trash included). */
  async function storageKeys(): Promise<Map<string, string>> {
    const rows = await current().db.selectFrom('documents').select(['id', 'storage_key']).execute();
    return new Map(rows.map((row) => [row.id, row.storage_key]));
  }

  // --- sync helpers -----------------------------------------------------------------------------

  async function mirrorChecked(source: ObjectStorage, destination: ObjectStorage, options: MirrorOptions = {}): Promise<MirrorSummary> {
    const summary = await mirror(source, destination, { concurrency: 4, ...options });
    expect(summary.errors).toEqual([]);
    expect(summary).toMatchObject({ failed: 0, mismatched: 0 });
    return summary;
  }

  /** verify with download: nothing missing, extra or different, every object re-hashed. */
  async function expectIdentical(source: ObjectStorage, destination: ObjectStorage): Promise<VerifySummary> {
    const differences: Difference[] = [];
    const summary = await verify(source, destination, { download: true }, (difference) => differences.push(difference));
    expect(differences).toEqual([]);
    expect(summary).toMatchObject({ missing: 0, extra: 0, different: 0, errors: 0 });
    expect(summary.downloaded).toBe(summary.checked);
    return summary;
  }

  /** Content type, disposition, metadata and SHA-256 travel with every object. */
  async function expectSameDescriptions(source: ObjectStorage, destination: ObjectStorage): Promise<number> {
    let count = 0;
    for await (const entry of source.list()) {
      // The manifest a mirror left at the source, when it was a destination, is no document.
      if (entry.kind !== 'object' || entry.key.startsWith(MIRROR_STATE_PREFIX)) continue;
      const [from, to] = await Promise.all([source.stat(entry.key), destination.stat(entry.key)]);
      expect(to, entry.key).toMatchObject({
        size: from.size,
        contentType: from.contentType,
        contentDisposition: from.contentDisposition,
        metadata: from.metadata,
        sha256: from.sha256,
      });
      count++;
    }
    return count;
  }

  // Shared between steps.
  let local: SyncLocation;
  let remoteA: SyncLocation;
  let remoteB: SyncLocation;
  let purged: Document;
  let trashed: Document;
  let keysBefore: Map<string, string>;

  it('1. service A on local disk + SQLite takes uploads (Unicode names, several types, one over 5 MiB)', async () => {
    const config = configOf(localEnv(), { DOCSTORE_TRASH_DAYS: '0' });
    expect(config.storage).toMatchObject({ backend: 'local', path: `${dataDir}/objects` });
    expect(config.database).toEqual({ dialect: 'sqlite', path: `${dataDir}/docstore.sqlite` });
    await switchTo('A (local)', config);
    const minutes = await upload('Procès-verbal AG 2026 – Résidence « Les Érables ».pdf', pdfOfSize(40_000), 'meeting_minutes');
    expect(minutes.fileName).toBe('Procès-verbal AG 2026 – Résidence « Les Érables ».pdf');
    expect((await upload('見積書 façade.pdf', pdfOfSize(12_345), 'works_quote')).fileName).toBe('見積書 façade.pdf');
    await upload(SAMPLES.png!.fileName, SAMPLES.png!.content, 'other');
    await upload('Décompte charges 2025.csv', Buffer.from('lot;quote-part;montant\n1;120;1 234,56 €\n2;80;823,04 €\n'), 'financial_statement');
    await upload('Contrat d’entretien ascenseur.pdf', pdfOfSize(6 * MiB + 123), 'contract');
    purged = await upload('purged later.pdf', pdfOfSize(3_000), 'other');
    const png = [...uploaded.values()].find((entry) => entry.document.fileName === 'plan.png');
    expect(png?.document.mimeType).toBe('image/png');
    keysBefore = await storageKeys();
    for (const [id, key] of keysBefore) expect(key).toBe(`${ORG_A}/${building}/${id}`);
  });

  it('2. first mirror current → s3://rgw@A while A keeps running; verify --download; descriptions preserved', async () => {
    const config = service!.config;
    local = await open('current', config);
    remoteA = await open(`s3://rgw@${bucketA}/${prefixA}`, config);
    expect(local.storage.name).toBe('local');
    const first = await mirrorChecked(local.storage, remoteA.storage);
    expect(first).toMatchObject({ scanned: uploaded.size, copied: uploaded.size, skipped: 0, deleted: 0 });
    await expectIdentical(local.storage, remoteA.storage);
    expect(await expectSameDescriptions(local.storage, remoteA.storage)).toBe(uploaded.size);
    // Repeatable: a second run right away copies nothing.
    expect(await mirrorChecked(local.storage, remoteA.storage)).toMatchObject({ copied: 0, skipped: uploaded.size });
  }, 120_000);

  it('3. incremental mirrors while uploads continue, one of them during the mirror itself', async () => {
    const before = uploaded.size;
    await uploadBatch('between-mirrors', 3);
    const second = await mirrorChecked(local.storage, remoteA.storage);
    expect(second).toMatchObject({ scanned: before + 3, copied: 3, skipped: before });
    await expectIdentical(local.storage, remoteA.storage);

    // A document is purged from the trash on the source: the destination keeps its object (extra).
    const gone = await current().app.inject({ method: 'DELETE', url: `/api/v1/documents/${purged.id}`, headers: auth() });
    expect(gone.statusCode).toBe(204);
    expect(await current().documents.purge()).toBe(1);
    uploaded.delete(purged.id);

    // Uploads race a mirror: whatever the listing missed is missing, never half-copied.
    const [racing] = await Promise.all([mirrorChecked(local.storage, remoteA.storage), uploadBatch('during-mirror', 4)]);
    expect(racing.skipped).toBe(before + 3 - 1);
    const partial = await verify(local.storage, remoteA.storage, { download: true });
    expect(partial).toMatchObject({ extra: 1, different: 0, errors: 0 });
    expect(partial.missing).toBe(4 - racing.copied);

    // A document moved to the trash keeps its object: it must move too.
    trashed = await upload('corbeille – à restaurer.pdf', pdfOfSize(4_321), 'other');
    const deleted = await current().app.inject({ method: 'DELETE', url: `/api/v1/documents/${trashed.id}`, headers: auth() });
    expect(deleted.statusCode).toBe(204);
    inTrash.add(trashed.id);
  }, 120_000);

  it('4. a CLI verify with the remote in a 0600 env file (sampled, as during the live phase)', async () => {
    const envFile = join(dataDir, 'remotes.env');
    await writeFile(envFile, `${Object.entries(remoteEnv).map(([name, value]) => `${name}=${value}`).join('\n')}\n`, { mode: 0o600 });
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir };
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [`--env-file=${envFile}`, DOCSTORE_BIN, 'verify', 'current', `s3://rgw@${bucketA}/${prefixA}`, '--download', '--sample', '10%', '--json'], { env, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
      );
    });
    // Not yet mirrored: the trashed document (uploaded after the last mirror) and what the race missed; the purged one is extra.
    expect(result.code, result.stderr).toBe(3);
    const report = JSON.parse(result.stdout) as VerifySummary & { differences: Difference[]; source: string; destination: string };
    expect(report.source).toBe('current (local)');
    expect(report.destination).toBe(`s3://rgw@${bucketA}/${prefixA}`);
    expect(report).toMatchObject({ extra: 1, different: 0, errors: 0 });
    expect(report.differences).toContainEqual({ key: `${ORG_A}/${building}/${purged.id}`, kind: 'extra' });
    expect(report.differences).toContainEqual({ key: `${ORG_A}/${building}/${trashed.id}`, kind: 'missing' });
    expect(result.stdout + result.stderr).not.toContain(target.secretAccessKey);
  }, 60_000);

  it('5. final mirror in the maintenance window: --delete refuses above --max-delete, then removes the purged object', async () => {
    await current().close();
    service = undefined; // uploads stopped
    await expect(mirror(local.storage, remoteA.storage, { delete: true })).rejects.toMatchObject({ code: 'sync.max_delete_exceeded' });
    // The refused run deleted nothing, but it did copy what was missing: the check comes after the copies.
    expect(await remoteA.storage.exists(`${ORG_A}/${building}/${purged.id}`)).toBe(true);
    expect(await remoteA.storage.exists(`${ORG_A}/${building}/${trashed.id}`)).toBe(true);
    const final = await mirrorChecked(local.storage, remoteA.storage, { delete: true, maxDelete: 1 });
    expect(final).toMatchObject({ deleted: 1, copied: 0, scanned: uploaded.size, skipped: uploaded.size });
    expect(await remoteA.storage.exists(`${ORG_A}/${building}/${purged.id}`)).toBe(false);
    await expectIdentical(local.storage, remoteA.storage);
  }, 120_000);

  it('6. service B: STORAGE_BACKEND=s3 on bucket A, same SQLite file, no database change; verify again; serves everything', async () => {
    const config = configOf(s3Env(bucketA, prefixA));
    expect(config.database).toEqual({ dialect: 'sqlite', path: `${dataDir}/docstore.sqlite` });
    const b = await switchTo('B (bucket A)', config);
    expect(b.storage.name).toBe('s3');
    // The rows name the same keys as before the switch: nothing in the database depends on the backend.
    const keysAfter = await storageKeys();
    for (const [id, key] of keysBefore) expect(keysAfter.get(id)).toBe(id === purged.id ? undefined : key);
    const reconcile = await b.documents.reconcile({ fix: false });
    expect(reconcile).toMatchObject({ orphanObjects: [], missingObjects: [] });
    await expectIdentical(local.storage, remoteA.storage);
    await expectEveryDocumentServed(b.app);
  }, 120_000);

  it('7. uploads through B (one over 5 MiB), then mirror bucket A → s3://rgw@B/docstore', async () => {
    await upload('Facture n° 2026-042 – chauffage.pdf', pdfOfSize(25_000));
    await upload('Rapport d’expertise toiture.pdf', pdfOfSize(5 * MiB + 4_567), 'works_quote');
    await upload(SAMPLES.docx!.fileName, SAMPLES.docx!.content, 'contract');
    remoteB = await open(`s3://rgw@${bucketB}/${prefixB.replace(/\/$/, '')}`, service!.config);
    const summary = await mirrorChecked(remoteA.storage, remoteB.storage);
    // Every object, the trashed one included (the purged one was deleted from A at step 5).
    expect(summary).toMatchObject({ copied: uploaded.size, skipped: 0 });
    await expectIdentical(remoteA.storage, remoteB.storage);
    expect(await expectSameDescriptions(remoteA.storage, remoteB.storage)).toBe(uploaded.size);
  }, 180_000);

  it('8. service C on bucket B with S3_KEY_PREFIX=docstore/: verify, restore from the trash, download every document', async () => {
    const config = configOf(s3Env(bucketB, prefixB));
    expect(config.storage).toMatchObject({ backend: 's3', bucket: bucketB, keyPrefix: prefixB });
    const c = await switchTo('C (bucket B)', config);
    await expectIdentical(remoteA.storage, remoteB.storage);
    const restored = await c.app.inject({ method: 'POST', url: `/api/v1/documents/${trashed.id}/restore`, headers: auth() });
    expect(restored.statusCode, restored.body).toBe(200);
    inTrash.delete(trashed.id);
    expect(await c.documents.reconcile({ fix: false })).toMatchObject({ orphanObjects: [], missingObjects: [] });
    await expectEveryDocumentServed(c.app);
    // The bucket holds the keys under the prefix, exactly as the database names them (without it), and the mirror's manifest.
    const viaService = await open('current', config);
    const keys: string[] = [];
    for await (const entry of viaService.storage.list()) if (entry.kind === 'object') keys.push(entry.key);
    expect(keys.sort()).toEqual([...(await storageKeys()).values(), MIRROR_MANIFEST_KEY].sort());
  }, 180_000);

  it('9. rollback: documents uploaded on C are mirrored back to the local disk and served by a service on local again', async () => {
    const onC = await upload('après la migration – PV CA.pdf', pdfOfSize(9_999), 'meeting_minutes');
    const config = service!.config;
    const newBackend = await open('current', config);
    const oldLocal = await open(pathToFileURL(join(dataDir, 'objects')).href, config);
    const back = await mirrorChecked(newBackend.storage, oldLocal.storage);
    // What B and C stored since the switch (three on B, one on C); the rest is already there.
    expect(back.copied).toBe(4);
    await expectIdentical(newBackend.storage, oldLocal.storage);
    const d = await switchTo('D (local again)', configOf(localEnv()));
    expect(d.storage.name).toBe('local');
    expect(await d.documents.reconcile({ fix: false })).toMatchObject({ orphanObjects: [], missingObjects: [] });
    expect(uploaded.has(onC.id)).toBe(true);
    await expectEveryDocumentServed(d.app);
  }, 180_000);
});
