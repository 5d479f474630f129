import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/auth/auth-errors.js';
import { BackupError } from '../../src/backup/backup-errors.js';
import { EXIT, reportError } from '../../src/cli/cli-errors.js';
import { ConfigError } from '../../src/config.js';
import { DatabaseUnavailable } from '../../src/db/database-errors.js';
import { ListenError } from '../../src/http/listen-error.js';
import { StorageUnavailable } from '../../src/storage/storage-errors.js';
import { SyncError } from '../../src/sync/sync-errors.js';

function report(error: unknown): { exitCode: number; lines: string[] } {
  const lines: string[] = [];
  const exitCode = reportError(error, (line) => lines.push(line));
  return { exitCode, lines };
}

describe('CLI error reporting', () => {
  it('maps codes to exit codes: usage codes to 2, any other typed error to 1', () => {
    expect(report(new ConfigError([{ variable: 'PORT', message: 'must be a port' }])).exitCode).toBe(EXIT.usage);
    expect(report(SyncError.usage('give a remote')).exitCode).toBe(EXIT.usage);
    expect(report(new SyncError('sync.listing_failed', 'Listing failed')).exitCode).toBe(EXIT.failed);
    expect(report(BackupError.usage('which repository?')).exitCode).toBe(EXIT.usage);
    expect(report(new BackupError('backup.locked', 'locked')).exitCode).toBe(EXIT.failed);
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(report(ListenError.of(inUse, { name: 'API', host: '127.0.0.1', port: 80, hostVariable: 'HOST', portVariable: 'PORT' })).exitCode).toBe(EXIT.usage);
    expect(report(new DatabaseUnavailable(new Error('ECONNREFUSED'))).exitCode).toBe(EXIT.failed);
    expect(report(AuthError.forbidden('x')).exitCode).toBe(EXIT.failed);
    expect(report(new RangeError('--ttl too long')).exitCode).toBe(EXIT.usage);
    expect(report(new Error('boom')).exitCode).toBe(EXIT.failed);
  });

  it('prints the code and the message, and what the storage client said', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(report(StorageUnavailable.because('endpoint unreachable', { cause })).lines).toEqual([
      'docstore: storage.unavailable: Storage unavailable: endpoint unreachable',
      '  caused by: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9',
    ]);
    expect(report(new BackupError('backup.locked', 'the repository is locked')).lines).toEqual(['docstore: backup.locked: the repository is locked']);
  });
});
