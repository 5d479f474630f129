import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** One row per document. Timestamps are ISO-8601 strings (UTC) on SQLite, timestamptz on PostgreSQL. */
export interface DocumentsTable {
  id: string;
  organization_id: string;
  building_id: string;
  type: string;
  title: string;
  description: string | null;
  file_name: string;
  mime_type: string;
  /** bigint on PostgreSQL (read back as a string), integer on SQLite. */
  size: number | string;
  sha256: string;
  uploaded_by: string;
  related_meeting_id: string | null;
  related_expense_id: string | null;
  storage_key: string;
  /** YYYY-MM-DD; null only on SQLite rows of before the retention migration (never, in practice). */
  document_date: string | null;
  /** YYYY-MM-DD, contracts only. */
  contract_end_date: string | null;
  /** YYYY-MM-DD set with a reason (`PUT /documents/{id}/retention`); replaces the computed date. */
  retain_until_override: string | null;
  /** `active`, or `broken` when `docstore reconcile --fix` found its object missing. */
  status: Generated<string>;
  created_at: string | Date;
  updated_at: string | Date;
  deleted_at: string | Date | null;
}

export type DocumentRow = Selectable<DocumentsTable>;
export type NewDocumentRow = Insertable<DocumentsTable>;
export type DocumentRowUpdate = Updateable<DocumentsTable>;
