import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * One extraction job per document version (`extraction_jobs`), claimed with a lease so that several
 * instances never work on one version at once. Timestamps are ISO-8601 strings (UTC) on SQLite,
 * timestamptz on PostgreSQL.
 */
export interface ExtractionJobsTable {
  document_id: string;
  version: number;
  /** See `JobStatus` (`extraction/extraction-job-repository.ts`). */
  status: string;
  /** Attempts begun, a lapsed lease included. */
  attempts: Generated<number>;
  /** When the job may next be claimed (retries wait with backoff). */
  next_attempt_at: string | Date;
  lease_owner: string | null;
  lease_expires_at: string | Date | null;
  /** `text` (a text layer or a text format), `ocr`, `text+ocr`, or null before extraction. */
  method: string | null;
  /** Pages read (PDF), null for other formats. */
  pages: number | null;
  /** Why the job failed, stopped at a limit, or was skipped. */
  error: string | null;
  created_at: string | Date;
  updated_at: string | Date;
}

/** The text extracted from a document's current version: what the console shows and the index holds. */
export interface DocumentTextsTable {
  document_id: string;
  version: number;
  text: string;
  method: string;
  extracted_at: string | Date;
}

/**
 * A document's entry in the full-text index. SQLite: the row's `id` is the rowid of its row in the
 * FTS5 table `search_fts(title, body)`. PostgreSQL: `tsv` holds the title (weight A) and the body (D).
 */
export interface SearchEntriesTable {
  id: Generated<number>;
  document_id: string;
}

/** An organisation's OCR languages (tesseract's `-l`), over the service's `DOCSTORE_OCR_LANGUAGES`. */
export interface OrganizationSearchSettingsTable {
  organization_id: string;
  ocr_languages: string;
  updated_by: string;
  updated_at: string | Date;
}

export type ExtractionJobRow = Selectable<ExtractionJobsTable>;
export type NewExtractionJobRow = Insertable<ExtractionJobsTable>;
export type DocumentTextRow = Selectable<DocumentTextsTable>;
