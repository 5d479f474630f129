import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError } from '../backup-errors.js';

/**
 * What the server keeps locally about a repository it backs up to (`<dataDir>/backup/<repository id>.json`,
 * mode 0600): the naming key (secret from the provider, so that blob names reveal nothing) and the
 * recipients' public keys, pinned at `init`/`attach` so that a provider who rewrites the repository's
 * configuration cannot make the next backups readable to a key of its choosing.
 */
export interface RepositoryAttachment {
  repositoryId: string;
  /** base64 of the 32-byte HMAC key naming blobs. */
  namingKey: string;
  /** Armored public keys. */
  recipients: string[];
}

export interface BackupStatus {
  /** Unix seconds at which the last successful `backup run` finished. */
  lastSuccessSeconds: number;
  snapshotId: string;
  repositoryId: string;
  /** Totals over every successful run on this server (the server exports them as counters); absent in older files. */
  objectsUploadedTotal?: number;
  objectsReusedTotal?: number;
  bytesUploadedTotal?: number;
}

export function backupStateDirectory(dataDir: string): string {
  return join(dataDir, 'backup');
}

export async function saveAttachment(dataDir: string, attachment: RepositoryAttachment): Promise<string> {
  return writeJsonAtomically(join(backupStateDirectory(dataDir), `${attachment.repositoryId}.json`), attachment);
}

export async function loadAttachment(dataDir: string, repositoryId: string): Promise<RepositoryAttachment> {
  const path = join(backupStateDirectory(dataDir), `${repositoryId}.json`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BackupError(
        'backup.not_attached',
        `this server has no key for repository ${repositoryId} (${path} is missing): run \`docstore backup attach REPOSITORY --identity PRIVATE_KEY --recipient PUBLIC_KEY…\` once, or back up to a new repository`,
      );
    }
    throw error;
  }
  return JSON.parse(text) as RepositoryAttachment;
}

/**
 * Records a successful backup, read by the server's metrics (`docstore_backup_last_success_timestamp_seconds`,
 * `docstore_backup_objects_total`, `docstore_backup_bytes_total`); returns the status with the new totals.
 */
export async function recordSuccess(
  dataDir: string,
  run: { finishedAt: Date; snapshotId: string; repositoryId: string; uploaded: number; reused: number; uploadedBytes: number },
): Promise<BackupStatus> {
  const previous = await loadStatus(dataDir);
  const status: BackupStatus = {
    lastSuccessSeconds: Math.floor(run.finishedAt.getTime() / 1000),
    snapshotId: run.snapshotId,
    repositoryId: run.repositoryId,
    objectsUploadedTotal: (previous?.objectsUploadedTotal ?? 0) + run.uploaded,
    objectsReusedTotal: (previous?.objectsReusedTotal ?? 0) + run.reused,
    bytesUploadedTotal: (previous?.bytesUploadedTotal ?? 0) + run.uploadedBytes,
  };
  await writeJsonAtomically(join(backupStateDirectory(dataDir), 'status.json'), status);
  return status;
}

/** The last successful backup, or `undefined` before the first one. */
export async function loadStatus(dataDir: string): Promise<BackupStatus | undefined> {
  try {
    return JSON.parse(await readFile(join(backupStateDirectory(dataDir), 'status.json'), 'utf8')) as BackupStatus;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** node-exporter's textfile collector format, for hosts that scrape backups apart from the server. */
export function textfileMetrics(status: BackupStatus): string {
  return [
    '# HELP docstore_backup_last_success_timestamp_seconds Unix time of the last successful backup (0: never).',
    '# TYPE docstore_backup_last_success_timestamp_seconds gauge',
    `docstore_backup_last_success_timestamp_seconds ${status.lastSuccessSeconds}`,
    '# HELP docstore_backup_objects_total Objects processed by backups.',
    '# TYPE docstore_backup_objects_total counter',
    `docstore_backup_objects_total{kind="uploaded"} ${status.objectsUploadedTotal ?? 0}`,
    `docstore_backup_objects_total{kind="skipped"} ${status.objectsReusedTotal ?? 0}`,
    '# HELP docstore_backup_bytes_total Bytes uploaded by backups.',
    '# TYPE docstore_backup_bytes_total counter',
    `docstore_backup_bytes_total ${status.bytesUploadedTotal ?? 0}`,
    '',
  ].join('\n');
}

export async function writeTextAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o644 });
  await rename(temporary, path);
}

async function writeJsonAtomically(path: string, value: unknown): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
  return path;
}
