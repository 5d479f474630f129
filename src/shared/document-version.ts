/** One version of a document as the API shows it. The storage key is internal and never part of it. */
export interface DocumentVersion {
  /** From 1; the highest is the document's current content. */
  version: number;
  /** The original file name, made safe for display. */
  fileName: string;
  /** Detected from the content, never taken from the client. */
  mimeType: string;
  size: number;
  sha256: string;
  /** The token subject that uploaded this version. */
  uploadedBy: string;
  createdAt: string;
}
