import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { BackupRepository } from '../../src/backup/repository/backup-repository.js';
import { runBackup, type BackupSummary } from '../../src/backup/backup-run.js';
import { attachmentFor } from '../../src/backup/backup-setup.js';
import { generateKey, readPrivateKey, readPublicKeys, type PrivateKey, type PublicKey } from '../../src/backup/format/openpgp-codec.js';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import type { ObjectStorage } from '../../src/storage/object-storage.js';
import { S3ObjectStorage } from '../../src/storage/s3/s3-object-storage.js';
import { clientFor, testBucket } from './s3-target.js';
import type { Document } from '../../src/shared/document.js';
import { registerBuilding } from './buildings.js';
import { localSqliteService, type ServiceFixture } from './service-fixture.js';
import { documentUpload, pdfOfSize } from './upload-request.js';

export const PASSPHRASE = 'correct horse battery staple';

export interface BackupKeys {
  publicKey: PublicKey;
  privateKey: PrivateKey;
  /** Armored files (and the passphrase file) in `dir`, for the CLI and gpg. */
  files: { publicKey: string; privateKey: string; passphrase: string; dir: string };
  close(): Promise<void>;
}

/** A fresh backup key pair, locked with PASSPHRASE, also written to files. */
export async function backupKeys(name = 'docstore test backups'): Promise<BackupKeys> {
  const generated = await generateKey({ name }, PASSPHRASE);
  const dir = await mkdtemp(join(tmpdir(), 'docstore-keys-'));
  const files = { publicKey: join(dir, 'backup.pub.asc'), privateKey: join(dir, 'backup.key.asc'), passphrase: join(dir, 'passphrase'), dir };
  await writeFile(files.publicKey, generated.publicKey);
  await writeFile(files.privateKey, generated.privateKey, { mode: 0o600 });
  await writeFile(files.passphrase, `${PASSPHRASE}\n`, { mode: 0o600 });
  return {
    publicKey: (await readPublicKeys(generated.publicKey, 'test key'))[0] as PublicKey,
    privateKey: await readPrivateKey(generated.privateKey, PASSPHRASE, 'test key'),
    files,
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface RepositoryLocation {
  storage: ObjectStorage;
  /** The location as the CLI takes it, and the environment it needs. */
  url: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** An empty repository location in a fresh bucket of the test RGW, under a random prefix (remote name `bk`). */
export async function s3RepositoryLocation(): Promise<RepositoryLocation> {
  const target = inject('s3');
  const client = clientFor(target);
  const bucket = await testBucket(target, client);
  const prefix = `backups-${randomBytes(4).toString('hex')}/`;
  return {
    storage: new S3ObjectStorage({ client, bucket, keyPrefix: prefix, endpointLabel: target.endpoint }),
    url: `s3://bk@${bucket}/${prefix}`,
    env: {
      DOCSTORE_REMOTE_BK_ENDPOINT: target.endpoint,
      DOCSTORE_REMOTE_BK_REGION: target.region,
      DOCSTORE_REMOTE_BK_ACCESS_KEY: target.accessKeyId,
      DOCSTORE_REMOTE_BK_SECRET_KEY: target.secretAccessKey,
      DOCSTORE_REMOTE_BK_PATH_STYLE: String(target.forcePathStyle),
    },
    close: async () => client.destroy(),
  };
}

/** An empty repository location in a temporary directory. */
export async function localRepositoryLocation(): Promise<RepositoryLocation> {
  const dir = await mkdtemp(join(tmpdir(), 'docstore-repo-'));
  return { storage: await LocalObjectStorage.open({ root: dir }), url: `file://${dir}`, env: {}, close: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Backs up a service's storage and database into `repository`, with the attachment kept under
 * `dataDir` (the service's own by default), as `docstore backup run` does.
 */
export async function backUpService(source: ServiceFixture, repository: BackupRepository, options: { dataDir?: string; concurrency?: number } = {}): Promise<BackupSummary> {
  return runBackup({
    repository,
    attachment: await attachmentFor(repository, options.dataDir ?? source.config.dataDir),
    storage: source.service.storage,
    db: source.service.db,
    database: source.config.database,
    docstoreVersion: 'test',
    checkpointAudit: () => source.service.audit.checkpointer.checkpoint(),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
}

/** A local + SQLite service whose trash purges at once, with a registered building and a syndic uploading PDFs into it. */
export async function uploadingService(): Promise<{ source: ServiceFixture; building: string; auth: Record<string, string>; upload(size: number, type?: string): Promise<Document> }> {
  const source = await localSqliteService({ env: { DOCSTORE_TRASH_DAYS: '0' } });
  const building = randomUUID();
  await registerBuilding(source, { id: building });
  const auth = { authorization: `Bearer ${await source.token('syndic')}` };
  const upload = async (size: number, type?: string) => {
    const { payload, headers } = documentUpload({ ...(type === undefined ? {} : { type }), title: `Doc ${size}`, content: pdfOfSize(size) });
    const response = await source.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
    return response.json() as Document;
  };
  return { source, building, auth, upload };
}
