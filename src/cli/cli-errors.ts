import { ConfigError } from '../config.js';
import { isStorageError } from '../storage/storage-errors.js';
import { SyncError } from '../sync/sync-errors.js';
import { BackupError } from '../backup/backup-errors.js';
import { ListenError } from '../http/listen-error.js';

/** Documented exit codes of the `docstore` command. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  verificationMismatch: 3,
} as const;

/**
 * Prints an error the way an operator needs it: the stable code and the message, no stack trace
 * (set DOCSTORE_DEBUG=1 to see one), and returns the exit code.
 */
export function reportError(error: unknown, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): number {
  if (error instanceof ConfigError) {
    write(`docstore: ${error.message}`);
    return EXIT.usage;
  }
  if (error instanceof SyncError) {
    write(`docstore: ${error.code}: ${error.message}`);
    return error.code === 'sync.usage' ? EXIT.usage : EXIT.failed;
  }
  if (error instanceof BackupError) {
    write(`docstore: ${error.code}: ${error.message}`);
    return error.code === 'backup.usage' ? EXIT.usage : EXIT.failed;
  }
  if (error instanceof ListenError) {
    write(`docstore: ${error.code}: ${error.message}`);
    return EXIT.usage;
  }
  if (error instanceof RangeError) {
    write(`docstore: ${error.message}`);
    return EXIT.usage;
  }
  if (isStorageError(error)) {
    write(`docstore: ${error.code}: ${error.message}`);
    const cause = error.cause as { message?: string; code?: string } | undefined;
    if (cause?.message !== undefined) write(`  caused by: ${cause.code ? `${cause.code}: ` : ''}${cause.message}`);
  } else {
    write(`docstore: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (process.env.DOCSTORE_DEBUG === '1' && error instanceof Error && error.stack) write(error.stack);
  return EXIT.failed;
}
