/** What a syndic files: the types of documents a building accumulates. */
export const DOCUMENT_TYPES = [
  'meeting_minutes',
  'financial_statement',
  'invoice',
  'contract',
  'regulation',
  'basic_deed',
  'works_quote',
  'owner_document',
  'other',
] as const;

export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** A document's retention as the API shows it (docs/retention.md). */
export interface DocumentRetention {
  /** The first day the document may be deleted (YYYY-MM-DD); null when permanent or without minimum. */
  retainUntil: string | null;
  /** Kept for the life of the association: never deletable through docstore. */
  permanent: boolean;
  /** Whether the retention forbids deleting today. */
  active: boolean;
  /** What the date counts from. */
  basis: 'financial_year' | 'contract_end' | 'upload' | 'override' | 'permanent' | 'none';
  /** For `financial_year`: the day the document's financial year closes. */
  financialYearClose: string | null;
}

/** Whether a legal hold covers the document: its own, or its building's. */
export interface DocumentLegalHold {
  active: boolean;
  scope: 'document' | 'building' | null;
}

/** A legal hold as the API shows it: on a building (`documentId` null) or one of its documents, active until released. */
export interface LegalHold {
  id: string;
  buildingId: string;
  /** Null: the hold covers the whole building. */
  documentId: string | null;
  reason: string;
  placedBy: string;
  placedAt: string;
  releasedBy: string | null;
  releasedAt: string | null;
  releaseReason: string | null;
}

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
  /** The date the document bears (YYYY-MM-DD): an invoice's date; the upload date unless given. */
  documentDate: string;
  /** A contract's end date (YYYY-MM-DD), when known. */
  contractEndDate: string | null;
  /** Set by the documents service on every answer (`DocumentProtection.annotate`). */
  retention?: DocumentRetention;
  /** Set with `retention`. */
  legalHold?: DocumentLegalHold;
  status: 'active' | 'broken';
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

/** A document as every API answer shows it: with its retention and legal hold as they are now. */
export type ProtectedDocument = Document & { retention: DocumentRetention; legalHold: DocumentLegalHold };
