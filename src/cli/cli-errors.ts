import { isDocstoreError } from '../errors/docstore-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { isStorageError } from '../storage/storage-errors.js';

// The exit codes live in a module of their own that every command loads (it imports nothing).
import { EXIT } from './exit-codes.js';

export { EXIT };

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The exit code of a typed error, by code: what the operator must change in the command or its
 * environment is a usage error (2); any other code is a failure (1).
 */
export const EXIT_BY_CODE: Partial<Record<ErrorCode, ExitCode>> = {
  'config.invalid': EXIT.usage,
  'sync.usage': EXIT.usage,
  'backup.usage': EXIT.usage,
  'handover.usage': EXIT.usage,
  'handover.key_invalid': EXIT.usage,
  'handover.signature_invalid': EXIT.verificationMismatch,
  'handover.checksum_mismatch': EXIT.verificationMismatch,
  'audit.key_invalid': EXIT.usage,
  'listen.address_in_use': EXIT.usage,
  'listen.address_unavailable': EXIT.usage,
  'listen.permission_denied': EXIT.usage,
  'listen.failed': EXIT.usage,
};

/**
 * Prints an error the way an operator needs it: the stable code and the message, no stack trace
 * (set DOCSTORE_DEBUG=1 to see one), and returns the exit code.
 */
export function reportError(error: unknown, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): number {
  if (isDocstoreError(error)) {
    write(`docstore: ${error.code}: ${error.message}`);
    // What the storage's client said (an errno, an S3 error code) is what an operator can act on.
    const cause = isStorageError(error) ? (error.cause as { message?: string; code?: string } | undefined) : undefined;
    if (cause?.message !== undefined) write(`  caused by: ${cause.code ? `${cause.code}: ` : ''}${cause.message}`);
    const exitCode = EXIT_BY_CODE[error.code];
    if (exitCode !== undefined) return exitCode;
  } else if (error instanceof RangeError) {
    write(`docstore: ${error.message}`);
    return EXIT.usage;
  } else {
    write(`docstore: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (process.env.DOCSTORE_DEBUG === '1' && error instanceof Error && error.stack) write(error.stack);
  return EXIT.failed;
}
