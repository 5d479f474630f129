import type { Readable } from 'node:stream';

/** One part of a multipart upload, as the HTTP layer hands it over. */
export type UploadPart =
  | { kind: 'field'; name: string; value: string }
  | { kind: 'file'; fieldName: string; fileName: string | undefined; stream: Readable };

export type FilePart = Extract<UploadPart, { kind: 'file' }>;
