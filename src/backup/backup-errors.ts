import { DocstoreError } from '../errors/docstore-error.js';

/** Stable codes of backup failures that are not about one object (those are reported per object). */
export const BACKUP_ERROR_CODES = [
  'backup.usage',
  'backup.repository_not_found',
  'backup.repository_exists',
  'backup.repository_invalid',
  'backup.not_attached',
  'backup.locked',
  'backup.snapshot_not_found',
  'backup.key_invalid',
  'backup.wrong_key',
  'backup.integrity',
  'backup.target_not_empty',
  'backup.incomplete',
] as const;

export type BackupErrorCode = (typeof BACKUP_ERROR_CODES)[number];

export class BackupError extends DocstoreError<BackupErrorCode> {
  static usage(message: string): BackupError {
    return new BackupError('backup.usage', message);
  }

  /** No repository at `location` (as the user wrote it, when known): says which commands create one. */
  static repositoryNotFound(location?: string, detail?: string): BackupError {
    return new BackupError(
      'backup.repository_not_found',
      `no backup repository ${location === undefined ? 'there' : `at ${location}`}${detail === undefined ? '' : ` (${detail})`}: create one with \`docstore backup keygen\` (a key pair whose private key stays offline), then \`docstore backup init ${location ?? 'LOCATION'} --recipient KEY.pub.asc\`; a rebuilt server joins an existing one with \`docstore backup attach\``,
      location === undefined ? {} : { context: { location } },
    );
  }

  static wrongKey(what: string, cause?: unknown): BackupError {
    return new BackupError('backup.wrong_key', `${what}: none of the given private keys can decrypt it (wrong key, or a key of another repository)`, { cause });
  }

  static integrity(what: string, detail: string, cause?: unknown): BackupError {
    return new BackupError('backup.integrity', `${what}: ${detail}`, { cause });
  }
}

export function isBackupError(error: unknown): error is BackupError {
  return error instanceof BackupError;
}
