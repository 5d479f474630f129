import { Readable } from 'node:stream';
import { isStorageError } from '../../storage/storage-errors.js';
import { SNIFF_BYTES, detectMimeType } from '../../shared/content-detection.js';
import type { DocumentContext } from '../document-context.js';
import type { DocumentLock } from '../retention/document-object-lock.js';
import { DocumentError, isDocumentError } from '../document-errors.js';
import { contentDisposition, safeFileName } from '../../shared/file-name.js';
import { removeWhenReachable } from './orphan-removal.js';
import { readSample } from './read-sample.js';
import { adoptForeignPart } from './foreign-part-adoption.js';
import type { StorableFile } from './upload-part.js';

/** An object written by `storeFilePart`. */
export interface StoredFile {
  key: string;
  fileName: string;
  mimeType: string;
  size: number;
  sha256: string;
}

/**
 * Streams one file part into storage at `key` (which holds no user text), create-only (foreign
 * content: adopted, see `adoptForeignPart`, with the same checks): its type is
 * decided from its first bytes (`upload.unsupported_content` outside the allowed types), its size
 * limited while streaming (`upload.too_large`), an empty file refused (`upload.empty_file`). Under
 * Object Lock, `lock` (the document's retention end and legal hold) travels on the creating request.
 */
export async function storeFilePart(context: DocumentContext, key: string, part: StorableFile, metadata: Record<string, string>, lock: DocumentLock = {}): Promise<StoredFile> {
  if (part.kind === 'foreign') return adoptForeignPart(context, key, part, metadata, lock);
  const { storage, orphanRemovalDelaysMs } = context;
  const fileName = safeFileName(part.fileName);
  const { sample, rest } = await readSample(part.stream, SNIFF_BYTES);
  const mimeType = await allowedTypeOf(context, sample, fileName).catch((error: unknown) => {
    part.stream.resume();
    throw error;
  });
  const limit = context.maxUploadBytes;
  let size = 0;
  const body = Readable.from(
    (async function* () {
      const tooLarge = () => new DocumentError('upload.too_large', `The file is larger than ${limit} bytes`, { limit });
      size = sample.length;
      if (size > limit) throw tooLarge();
      yield sample;
      for await (const piece of rest) {
        size += piece.length;
        if (size > limit) throw tooLarge();
        yield piece;
      }
    })(),
  );
  try {
    const result = await storage.put(key, body, {
      contentType: mimeType,
      contentDisposition: contentDisposition(fileName),
      metadata,
      ifNoneMatch: '*',
      ...lock,
    });
    return { key, fileName, mimeType, size: result.size, sha256: result.sha256 };
  } catch (error) {
    part.stream.resume();
    // The write may still land once a frozen storage resumes: its object must not stay.
    if (isStorageError(error) && error.code === 'storage.unavailable') removeWhenReachable(storage, key, orphanRemovalDelaysMs);
    const cause = isStorageError(error) ? (error.cause as unknown) : undefined;
    if (isDocumentError(cause)) throw cause;
    if (isStorageError(error) && (error.code === 'storage.operation_failed' || error.code === 'storage.aborted')) {
      throw new DocumentError('upload.aborted', 'The upload was interrupted', {}, { cause: error });
    }
    throw error;
  }
}

/**
 * The type of a file decided from its first bytes (`SNIFF_BYTES`): none answers
 * `upload.empty_file`, a type outside the allowed ones `upload.unsupported_content`.
 */
export async function allowedTypeOf(context: DocumentContext, sample: Buffer, fileName: string): Promise<string> {
  if (sample.length === 0) throw new DocumentError('upload.empty_file', 'The file is empty');
  const mimeType = await detectMimeType(sample, fileName);
  if (mimeType === undefined || !context.allowedMimeTypes.has(mimeType)) {
    throw new DocumentError('upload.unsupported_content', `This content is not accepted (detected: ${mimeType ?? 'unknown'})`, {
      detected: mimeType ?? null,
    });
  }
  return mimeType;
}
