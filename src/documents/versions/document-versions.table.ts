import type { Insertable, Selectable } from 'kysely';

/**
 * One row per version of a document, numbered from 1; the highest is the current one, whose
 * fields the `documents` row repeats. Rows are never updated: a new content is a new row.
 */
export interface DocumentVersionsTable {
  document_id: string;
  version: number;
  /** Unique; no user text (`{org}/{building}/{document}` for version 1, `…/{document}/v{n}-{uuid}` after). */
  storage_key: string;
  /** bigint on PostgreSQL (read back as a string), integer on SQLite. */
  size: number | string;
  sha256: string;
  mime_type: string;
  file_name: string;
  uploaded_by: string;
  created_at: string | Date;
}

export type DocumentVersionRow = Selectable<DocumentVersionsTable>;
export type NewDocumentVersionRow = Insertable<DocumentVersionsTable>;
