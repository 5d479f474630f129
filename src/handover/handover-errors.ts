import { DocstoreError } from '../errors/docstore-error.js';

/** Stable codes of the change of syndic: exports, imports and transfers of a building. */
export const HANDOVER_ERROR_CODES = [
  'handover.usage',
  'handover.key_invalid',
  'handover.signature_invalid',
  'handover.checksum_mismatch',
  'handover.archive_invalid',
  'handover.document_damaged',
  'handover.export_not_found',
  'handover.export_not_ready',
  'handover.export_abandoned',
  'handover.conflict',
] as const;

export type HandoverErrorCode = (typeof HANDOVER_ERROR_CODES)[number];

export class HandoverError extends DocstoreError<HandoverErrorCode> {
  constructor(code: HandoverErrorCode, message: string, context: Record<string, unknown> = {}, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, context });
  }

  static usage(message: string): HandoverError {
    return new HandoverError('handover.usage', message);
  }

  static keyInvalid(source: string, detail: string, cause?: unknown): HandoverError {
    return new HandoverError('handover.key_invalid', `${source}: ${detail}`, { source }, { cause });
  }

  /** `SHA256SUMS.asc` is missing, malformed, or not a signature of `SHA256SUMS` by the given key. */
  static signatureInvalid(detail: string, cause?: unknown): HandoverError {
    return new HandoverError('handover.signature_invalid', `the archive's signature does not verify: ${detail}`, {}, { cause });
  }

  /** Files whose bytes do not hash to `SHA256SUMS`, files it lists that are missing, files it does not list. */
  static checksumMismatch(files: { path: string; problem: 'mismatch' | 'missing' | 'unlisted' }[]): HandoverError {
    const shown = files.slice(0, 20).map((file) => `${file.path} (${file.problem})`);
    const more = files.length > shown.length ? `, and ${files.length - shown.length} more` : '';
    return new HandoverError('handover.checksum_mismatch', `the archive is refused, nothing was imported: ${shown.join(', ')}${more}`, { files });
  }

  static archiveInvalid(detail: string, cause?: unknown): HandoverError {
    return new HandoverError('handover.archive_invalid', `not a docstore handover archive: ${detail}`, {}, { cause });
  }

  /** A version's object did not hash to its recorded SHA-256 while being exported: the document is now broken. */
  static documentDamaged(documentId: string, version: number, cause?: unknown): HandoverError {
    return new HandoverError(
      'handover.document_damaged',
      `document ${documentId} version ${version} is damaged in storage (its bytes do not match its SHA-256): the export stopped and the document is now broken; export again to leave it out (it is then listed as excluded), or restore it first (docs/operations.md#damaged-objects)`,
      { documentId, version },
      { cause },
    );
  }

  static exportNotFound(id: string): HandoverError {
    return new HandoverError('handover.export_not_found', `Export ${id} not found`, { id });
  }

  static exportNotReady(id: string, status: string): HandoverError {
    return new HandoverError('handover.export_not_ready', `Export ${id} is ${status}, not ready`, { id, status });
  }

  /** The instance running the export stopped (crash, deploy) before it finished: its heartbeat lapsed. */
  static exportAbandoned(id: string, leaseExpiredAt: string | null): HandoverError {
    const since = leaseExpiredAt === null ? 'it has no heartbeat' : `its heartbeat lapsed at ${leaseExpiredAt}`;
    return new HandoverError('handover.export_abandoned', `Export ${id} was abandoned: the instance running it stopped before it finished (${since}); nothing was kept, start a new export`, { id });
  }

  static conflict(detail: string): HandoverError {
    return new HandoverError('handover.conflict', detail);
  }
}

export function isHandoverError(error: unknown): error is HandoverError {
  return error instanceof HandoverError;
}
