import type { Readable } from 'node:stream';

/**
 * One part of a multipart upload, as the HTTP layer hands it over; or, from a finished resumable
 * upload, a file already in the storage as foreign content (see `ObjectStorage.adopt`), which
 * becomes the document's object without being written again.
 */
export type UploadPart =
  | { kind: 'field'; name: string; value: string }
  | { kind: 'file'; fieldName: string; fileName: string | undefined; stream: Readable }
  | ForeignFilePart;

export type FilePart = Extract<UploadPart, { kind: 'file' }>;

/** A file whose bytes are already in the storage, at `sourceKey`, as foreign content. */
export interface ForeignFilePart {
  kind: 'foreign';
  fieldName: string;
  fileName: string | undefined;
  sourceKey: string;
  /** Its length in bytes. */
  size: number;
  /** Its SHA-256 (lower-case hex), computed over these bytes by the caller. */
  sha256: string;
  /** Its first bytes (up to `SNIFF_BYTES`): the type is decided from them. */
  sample: Buffer;
}

/** What `storeFilePart` stores: a streamed file part, or foreign content it adopts. */
export type StorableFile = FilePart | ForeignFilePart;
