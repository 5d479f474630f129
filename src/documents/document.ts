import type { DocumentType } from '../shared/document-types.js';

// The types live in src/shared (the web console lists them too); re-exported for the documents module.
export { DOCUMENT_TYPES, type DocumentType } from '../shared/document-types.js';

/** A stored document as the API shows it. The storage key is internal and never part of it. */
export interface Document {
  id: string;
  organizationId: string;
  buildingId: string;
  type: DocumentType;
  title: string;
  description: string | null;
  /** The original file name, made safe for display. */
  fileName: string;
  /** Detected from the content, never taken from the client. */
  mimeType: string;
  size: number;
  sha256: string;
  /** The token subject that uploaded it. */
  uploadedBy: string;
  relatedMeetingId: string | null;
  relatedExpenseId: string | null;
  status: 'active' | 'broken';
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}
