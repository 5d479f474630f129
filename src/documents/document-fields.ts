import { z } from 'zod';
import type { Principal } from '../shared/principal.js';
import { DOCUMENT_TYPES, type Document, type DocumentType } from '../shared/document.js';
import { assertTypeAllowed } from './document-authorization.js';
import { DocumentError } from './document-errors.js';
import type { DocumentRow } from './documents.table.js';
import { dateInBrussels, isCalendarDate } from './retention/calendar-date.js';

const uuid = z.string().uuid();
const optionalUuid = z.preprocess((value) => (value === '' ? undefined : value), uuid.optional());
/** A calendar date, `YYYY-MM-DD` (retention counts from it: see docs/retention.md). */
const calendarDate = z.string().refine(isCalendarDate, 'must be a date written YYYY-MM-DD');
const optionalCalendarDate = z.preprocess((value) => (value === '' ? undefined : value), calendarDate.optional());

export const documentFieldsSchema = z.object({
  type: z.enum(DOCUMENT_TYPES),
  title: z.string().trim().min(1).max(255),
  description: z.preprocess((value) => (value === '' ? undefined : value), z.string().max(5000).optional()),
  relatedMeetingId: optionalUuid,
  relatedExpenseId: optionalUuid,
  /** The date the document bears; the upload date when absent. */
  documentDate: optionalCalendarDate,
  /** A contract's end date (its retention counts from it). */
  contractEndDate: optionalCalendarDate,
});

export type DocumentFields = z.infer<typeof documentFieldsSchema>;

export const documentPatchSchema = z
  .object({
    type: z.enum(DOCUMENT_TYPES).optional(),
    title: z.string().trim().min(1).max(255).optional(),
    description: z.string().max(5000).nullable().optional(),
    relatedMeetingId: uuid.nullable().optional(),
    relatedExpenseId: uuid.nullable().optional(),
    documentDate: calendarDate.optional(),
    contractEndDate: calendarDate.nullable().optional(),
  })
  .strict();

export type DocumentPatch = z.infer<typeof documentPatchSchema>;

/** An upload's form fields, checked (`documents.invalid`), with a type the principal may upload. */
export function validateDocumentFields(principal: Principal, fields: Record<string, string>): DocumentFields {
  const parsed = documentFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw DocumentError.invalid(String(issue?.path[0] ?? 'fields'), issue?.message ?? 'invalid');
  }
  assertTypeAllowed(principal, parsed.data.type, 'upload');
  return parsed.data;
}

export function toDocument(row: DocumentRow): Document {
  return {
    id: row.id,
    organizationId: row.organization_id,
    buildingId: row.building_id,
    type: row.type as DocumentType,
    title: row.title,
    description: row.description,
    fileName: row.file_name,
    mimeType: row.mime_type,
    size: Number(row.size),
    sha256: row.sha256,
    uploadedBy: row.uploaded_by,
    relatedMeetingId: row.related_meeting_id,
    relatedExpenseId: row.related_expense_id,
    documentDate: row.document_date ?? dateInBrussels(new Date(row.created_at)),
    contractEndDate: row.contract_end_date,
    status: row.status === 'broken' ? 'broken' : 'active',
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    deletedAt: row.deleted_at === null ? null : new Date(row.deleted_at).toISOString(),
  };
}
