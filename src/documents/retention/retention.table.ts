import type { Insertable, Selectable } from 'kysely';

/** An organisation's retention period for one document type (`10`, `permanent`, `none`), set by a superadmin. */
export interface RetentionPoliciesTable {
  organization_id: string;
  document_type: string;
  period: string;
  updated_by: string;
  updated_at: string | Date;
}

/**
 * Every change of a retention, with its reason: of an organisation's policy for a type
 * (`document_id` null) or of one document's date (`document_type` null). `previous`/`next`: a
 * period (`10`, `permanent`, `none`, `default`) or a date (`2036-01-01`, `computed`).
 */
export interface RetentionChangesTable {
  id: string;
  organization_id: string;
  document_id: string | null;
  document_type: string | null;
  previous: string;
  next: string;
  reason: string;
  changed_by: string;
  changed_at: string | Date;
}

/** A legal hold on a document, or on a whole building (`document_id` null); active until `released_at`. */
export interface LegalHoldsTable {
  id: string;
  organization_id: string;
  building_id: string;
  document_id: string | null;
  reason: string;
  placed_by: string;
  placed_at: string | Date;
  released_by: string | null;
  released_at: string | Date | null;
  release_reason: string | null;
}

export type RetentionChangeRow = Selectable<RetentionChangesTable>;
export type LegalHoldRow = Selectable<LegalHoldsTable>;
export type NewLegalHoldRow = Insertable<LegalHoldsTable>;
