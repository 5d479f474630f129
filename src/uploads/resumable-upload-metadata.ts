import { DocumentError } from '../documents/document-errors.js';

/** What a resumable upload declares in `Upload-Metadata` (tus), checked at its creation. */
export interface ResumableUploadMetadata {
  /** The building of a new document (absent for a new version). */
  building?: string;
  type?: string;
  title?: string;
  filename?: string;
  documentDate?: string;
  /** A contract's end date (`YYYY-MM-DD`, its retention counts from it), checked as a multipart upload's. */
  contractEndDate?: string;
  /** A new version of this document: building, type, title and date belong to the document then. */
  documentId?: string;
  /** The SHA-256 of the whole file (64 lower-case hex): the assembled bytes must hash to it. */
  sha256?: string;
}

/** The metadata key holding who created an upload (`{organisation}/{subject}`), set by the server. */
export const CREATOR_KEY = 'docstoreCreator';

const KEYS = ['building', 'type', 'title', 'filename', 'documentDate', 'contractEndDate', 'documentId', 'sha256'] as const;

/** Parses a tus `Upload-Metadata` header (`key base64,key base64`), refusing duplicates and bad base64. */
export function parseUploadMetadataHeader(header: string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (header === undefined || header.trim() === '') return result;
  for (const pair of header.split(',')) {
    const [key, value, ...rest] = pair.trim().split(' ');
    if (key === undefined || key === '' || rest.length > 0 || (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) || key in result) {
      throw DocumentError.invalid('Upload-Metadata', 'expected comma-separated "key base64value" pairs, each key once');
    }
    result[key] = value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8');
  }
  return result;
}

/**
 * The upload's declared fields: a new document needs `building`, `type` and `title` (their values
 * checked as a multipart upload's are, by the uploader); a new version takes `documentId` and no
 * document field. `sha256` must be 64 hex digits.
 */
export function toResumableUploadMetadata(raw: Readonly<Record<string, string | null | undefined>>): ResumableUploadMetadata {
  const result: ResumableUploadMetadata = {};
  for (const key of KEYS) {
    const value = raw[key];
    if (typeof value === 'string' && value !== '') result[key] = value;
  }
  if (result.sha256 !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(result.sha256)) throw DocumentError.invalid('sha256', 'expected the SHA-256 of the whole file as 64 hex digits');
    result.sha256 = result.sha256.toLowerCase();
  }
  if (result.documentId !== undefined) {
    for (const field of ['building', 'type', 'title', 'documentDate', 'contractEndDate'] as const) {
      if (result[field] !== undefined) throw DocumentError.invalid(field, 'a new version takes no document field (they belong to the document)');
    }
  } else {
    for (const field of ['building', 'type', 'title'] as const) {
      if (result[field] === undefined) throw DocumentError.invalid(field, 'required in Upload-Metadata');
    }
  }
  return result;
}

/** The value of `CREATOR_KEY` for a caller. */
export function creatorOf(principal: { organizationId: string; userId: string }): string {
  return `${principal.organizationId}/${principal.userId}`;
}
