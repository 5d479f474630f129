import { DocumentError } from '../document-errors.js';
import type { StorableFile, UploadPart } from './upload-part.js';

export interface UploadPartsHandlers<T> {
  /** Checks the fields sent before the file, before a byte of it is stored. */
  beforeFile?: (fields: Readonly<Record<string, string>>) => void;
  /** Stores the single `file` part. */
  store: (part: StorableFile) => Promise<T>;
  /** Told as soon as the file is stored, so that the caller can remove it if anything later fails. */
  stored: (result: T) => void;
}

/**
 * Reads a multipart upload's parts in order: fields are collected, the one `file` part is stored
 * through `store`, and every other file part is drained. Refuses a file part under another name
 * (`documents.invalid_input`), a second file (`upload.multiple_files`) and no file at all
 * (`upload.no_file`), after reading every part.
 */
export async function receiveUploadParts<T>(parts: AsyncIterable<UploadPart>, handlers: UploadPartsHandlers<T>): Promise<{ fields: Record<string, string>; stored: T }> {
  const fields: Record<string, string> = {};
  let stored: { result: T } | undefined;
  let failure: unknown;
  for await (const part of parts) {
    if (part.kind === 'field') {
      fields[part.name] = part.value;
      continue;
    }
    if (part.fieldName !== 'file' || stored !== undefined || failure !== undefined) {
      if (part.kind === 'file') part.stream.resume();
      failure ??=
        part.fieldName !== 'file'
          ? DocumentError.invalid(part.fieldName, 'unexpected file part (send the file as "file")')
          : new DocumentError('upload.multiple_files', 'Send exactly one file part');
      continue;
    }
    handlers.beforeFile?.(fields);
    stored = { result: await handlers.store(part) };
    handlers.stored(stored.result);
  }
  if (failure !== undefined) throw failure;
  if (stored === undefined) throw new DocumentError('upload.no_file', 'The request has no "file" part');
  return { fields, stored: stored.result };
}
