import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupRepository } from '../../src/backup/repository/backup-repository.js';
import { readManifest } from '../../src/backup/backup-restore.js';
import { attachmentFor, attachRepository, initRepository } from '../../src/backup/backup-setup.js';
import { verifyRepository } from '../../src/backup/backup-verify.js';
import { readPublicKeys } from '../../src/backup/format/openpgp-codec.js';
import { loadAttachment } from '../../src/backup/repository/backup-state.js';
import type { Document } from '../../src/shared/document.js';
import { backUpService, backupKeys, PASSPHRASE, s3RepositoryLocation, type BackupKeys, type RepositoryLocation } from '../support/backup-fixture.js';
import { localSqliteService, ORG_A, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';
import { sha256 } from '../support/streams.js';
import { registerBuilding } from '../support/buildings.js';

const run = promisify(execFile);

describe('backup security properties (repository on S3/RGW)', () => {
  let source: ServiceFixture;
  let keys: BackupKeys;
  let location: RepositoryLocation;
  let repository: BackupRepository;
  const documents: Array<{ document: Document; content: Buffer }> = [];
  const building = randomUUID();

  const backUp = () => backUpService(source, repository);

  beforeAll(async () => {
    source = await localSqliteService();
    await registerBuilding(source, { id: building });
    keys = await backupKeys();
    location = await s3RepositoryLocation();
    repository = (await initRepository(location.storage, [keys.publicKey], source.config.dataDir)).repository;
    const auth = { authorization: `Bearer ${await source.token('syndic')}` };
    const samples: Array<[string, string, number]> = [
      ['Procès-verbal assemblée Résidence Les Tilleuls', 'pv-ag-tilleuls-2026.pdf', 1000],
      ['Décompte charges appartement Dupont', 'decompte-dupont.pdf', 1010],
      ['Contrat ascenseur Schindler', 'contrat-ascenseur.pdf', 250_000],
    ];
    for (const [title, fileName, size] of samples) {
      const content = pdfOfSize(size);
      const { payload, headers } = documentUpload({ title, fileName, content });
      const response = await source.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
      expect(response.statusCode, response.body).toBe(201);
      documents.push({ document: response.json() as Document, content });
    }
    await backUp();
  });
  afterAll(async () => {
    await source?.close();
    await location?.close();
    await keys?.close();
  });

  it('the server keeps only public keys: its state holds no private key, and backing up needs none', async () => {
    const attachment = await loadAttachment(source.config.dataDir, repository.config.id);
    const state = await readFile(join(source.config.dataDir, 'backup', `${repository.config.id}.json`), 'utf8');
    expect(state).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    expect(state).not.toMatch(/PRIVATE KEY/);
    expect(attachment.recipients).toHaveLength(1);
    expect((await stat(join(source.config.dataDir, 'backup', `${repository.config.id}.json`))).mode & 0o777).toBe(0o600);
  });

  it('the provider sees no file name, title, organisation, building or document id, plaintext hash or content', async () => {
    const secrets: Array<[string, Buffer]> = [[ 'organisation id', Buffer.from(ORG_A) ], [ 'building id', Buffer.from(building) ]];
    for (const { document, content } of documents) {
      secrets.push(['title', Buffer.from(document.title)], ['file name', Buffer.from(document.fileName)], ['document id', Buffer.from(document.id)]);
      secrets.push(['plaintext SHA-256', Buffer.from(document.sha256)], ['content', content.subarray(100, 132)]);
    }
    const attachment = await loadAttachment(source.config.dataDir, repository.config.id);
    secrets.push(['naming key', Buffer.from(attachment.namingKey)], ['naming key bytes', Buffer.from(attachment.namingKey, 'base64')]);
    let objects = 0;
    for await (const entry of location.storage.list()) {
      if (entry.kind !== 'object') continue;
      objects++;
      const info = await location.storage.stat(entry.key);
      const bytes = Buffer.concat([Buffer.from(entry.key), Buffer.from(JSON.stringify(info.metadata)), await buffer((await location.storage.get(entry.key)).body)]);
      for (const [what, secret] of secrets) expect(bytes.includes(secret), `${what} found in ${entry.key}`).toBe(false);
    }
    expect(objects).toBeGreaterThan(documents.length);
  });

  it('ciphertext sizes are padded: documents of 1000 and 1010 bytes give blobs of one size', async () => {
    const snapshot = await repository.findSnapshot('latest');
    const manifest = await readManifest(repository, snapshot, [keys.privateKey]);
    const sizeOf = (sha: string) => {
      const blob = manifest.objects.find((object) => object.sha256 === sha)?.blob;
      return snapshot.blobs.find(([name]) => name === blob)?.[1];
    };
    const [small, other] = documents;
    expect(sizeOf(small?.document.sha256 as string)).toBeDefined();
    expect(sizeOf(small?.document.sha256 as string)).toBe(sizeOf(other?.document.sha256 as string));
  });

  it('stock gpg decrypts the manifest and a document with the private key, no docstore code involved', async () => {
    const home = await mkdtemp(join(tmpdir(), 'docstore-gnupg-'));
    try {
      const gpg = (...args: string[]) => run('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', PASSPHRASE, ...args], { encoding: 'buffer', maxBuffer: 64 << 20 });
      await gpg('--import', keys.files.privateKey);
      const snapshotJson = JSON.parse((await buffer((await location.storage.get(`snapshots/${(await repository.findSnapshot('latest')).id}`)).body)).toString('utf8')) as { manifest: { name: string } };
      const download = async (name: string) => {
        const file = join(home, name);
        await writeFile(file, await buffer((await location.storage.get(`data/${name.slice(0, 2)}/${name}`)).body));
        return file;
      };
      const manifest = JSON.parse((await gpg('--decrypt', await download(snapshotJson.manifest.name))).stdout.toString('utf8').trimEnd()) as {
        objects: Array<{ key: string; size: number; sha256: string; blob: string }>;
      };
      const target = documents[2] as { document: Document; content: Buffer };
      const entry = manifest.objects.find((object) => object.key.endsWith(target.document.id));
      expect(entry).toBeDefined();
      const { stdout, stderr } = await gpg('--decrypt', await download(entry?.blob as string));
      expect(stderr.toString()).toMatch(/encrypted with .*ECDH/);
      const plaintext = stdout.subarray(0, entry?.size);
      expect(sha256(plaintext)).toBe(sha256(target.content));
      expect(stdout.subarray(entry?.size).every((byte) => byte === 0)).toBe(true);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('a rebuilt server attaches with the private key once, then reuses every blob', async () => {
    const rebuiltDataDir = await mkdtemp(join(tmpdir(), 'docstore-rebuilt-'));
    try {
      await expect(attachmentFor(repository, rebuiltDataDir)).rejects.toMatchObject({ code: 'backup.not_attached' });
      const other = await backupKeys('someone else');
      await expect(attachRepository(location.storage, [keys.privateKey], [other.publicKey], rebuiltDataDir)).rejects.toMatchObject({ code: 'backup.repository_invalid' });
      await expect(attachRepository(location.storage, [other.privateKey], [keys.publicKey], rebuiltDataDir)).rejects.toMatchObject({ code: 'backup.wrong_key' });
      await other.close();
      await attachRepository(location.storage, [keys.privateKey], [keys.publicKey], rebuiltDataDir);
      expect((await loadAttachment(rebuiltDataDir, repository.config.id)).namingKey).toBe((await loadAttachment(source.config.dataDir, repository.config.id)).namingKey);
      const next = await backUpService(source, repository, { dataDir: rebuiltDataDir });
      expect(next.uploaded).toBe(0);
    } finally {
      await rm(rebuiltDataDir, { recursive: true, force: true });
    }
  });

  it('several recipients (the office and a notary): each private key alone restores; one file may hold both public keys', async () => {
    const office = await backupKeys('office');
    const notary = await backupKeys('notary');
    const shared = await s3RepositoryLocation();
    const dataDir = await mkdtemp(join(tmpdir(), 'docstore-two-recipients-'));
    try {
      const both = await readPublicKeys(`${await readFile(office.files.publicKey, 'utf8')}\n${await readFile(notary.files.publicKey, 'utf8')}`, 'two armored keys');
      expect(both.map((key) => key.getFingerprint())).toEqual([office.publicKey.getFingerprint(), notary.publicKey.getFingerprint()]);
      const created = await initRepository(shared.storage, both, dataDir);
      const summary = await backUpService(source, created.repository, { dataDir });
      expect(summary.objects).toBe(documents.length);
      for (const key of [office.privateKey, notary.privateKey]) {
        const verified = await verifyRepository({ repository: created.repository, readData: true, keys: [key] });
        expect(verified).toMatchObject({ read: documents.length + 1, problems: [] });
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await shared.close();
      await office.close();
      await notary.close();
    }
  });

  it('a provider who swaps the recipients in the repository configuration cannot get the next backups', async () => {
    const intruder = await backupKeys('intruder');
    try {
      const altered = { ...repository.config, recipients: [intruder.publicKey.getFingerprint().toUpperCase()] };
      await location.storage.put('config', JSON.stringify(altered));
      const reopened = await BackupRepository.open(location.storage);
      await expect(attachmentFor(reopened, source.config.dataDir)).rejects.toMatchObject({ code: 'backup.repository_invalid' });
    } finally {
      await location.storage.put('config', JSON.stringify(repository.config, null, 2));
      await intruder.close();
    }
  });
});
