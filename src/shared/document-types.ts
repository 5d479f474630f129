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
