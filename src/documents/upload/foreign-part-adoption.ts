import { contentDisposition, safeFileName } from '../../shared/file-name.js';
import { SNIFF_BYTES } from '../../shared/content-detection.js';
import type { DocumentContext } from '../document-context.js';
import { DocumentError } from '../document-errors.js';
import type { DocumentLock } from '../retention/document-object-lock.js';
import { allowedTypeOf, type StoredFile } from './file-part-storage.js';
import type { ForeignFilePart } from './upload-part.js';

/**
 * `storeFilePart` for a file already in the storage as foreign content (a finished resumable
 * upload): the same checks as a streamed part (type from its first bytes, allowed types, empty
 * file, size limit), then the storage adopts it at `key`, create-only, with its SHA-256, without
 * writing its bytes again. Only where the storage adopts foreign content and no Object Lock is
 * asked (`capabilities.adoptsForeignContent`): the caller streams the file otherwise.
 */
export async function adoptForeignPart(context: DocumentContext, key: string, part: ForeignFilePart, metadata: Record<string, string>, lock: DocumentLock): Promise<StoredFile> {
  const fileName = safeFileName(part.fileName);
  const mimeType = await allowedTypeOf(context, part.sample.subarray(0, SNIFF_BYTES), fileName);
  const limit = context.maxUploadBytes;
  if (part.size > limit) throw new DocumentError('upload.too_large', `The file is larger than ${limit} bytes`, { limit });
  if (lock.retainUntil !== undefined || lock.legalHold === true) throw new Error('a locked document cannot adopt foreign content (the storage has Object Lock: stream the file instead)');
  const result = await context.storage.adopt(part.sourceKey, key, { contentType: mimeType, contentDisposition: contentDisposition(fileName), metadata, size: part.size, sha256: part.sha256 });
  return { key, fileName, mimeType, size: result.size, sha256: result.sha256 };
}
