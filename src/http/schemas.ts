import { z } from 'zod';
import { DOCUMENT_TYPES } from '../shared/document.js';

export const documentSchema = z
  .object({
    id: z.string().uuid(),
    organizationId: z.string(),
    buildingId: z.string(),
    type: z.enum(DOCUMENT_TYPES),
    title: z.string(),
    description: z.string().nullable(),
    fileName: z.string(),
    mimeType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    uploadedBy: z.string(),
    relatedMeetingId: z.string().nullable(),
    relatedExpenseId: z.string().nullable(),
    documentDate: z.string().describe('The date the document bears (YYYY-MM-DD); its retention counts from it'),
    contractEndDate: z.string().nullable().describe('Contracts: the end date their retention counts from'),
    retention: z
      .object({
        retainUntil: z.string().nullable().describe('First day the document may be deleted (YYYY-MM-DD); null when permanent or without minimum'),
        permanent: z.boolean(),
        active: z.boolean().describe('Whether the retention forbids deleting today'),
        basis: z.enum(['financial_year', 'contract_end', 'upload', 'override', 'permanent', 'none']),
        financialYearClose: z.string().nullable(),
      })
      .describe('Retention (docs/retention.md)'),
    legalHold: z.object({ active: z.boolean(), scope: z.enum(['document', 'building']).nullable() }),
    status: z.enum(['active', 'broken']),
    createdAt: z.string(),
    updatedAt: z.string(),
    deletedAt: z.string().nullable(),
  })
  .describe('Document');

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string(),
  })
  .passthrough()
  .describe('RFC 9457 problem details');

export const pageSchema = z.object({ items: z.array(documentSchema), nextCursor: z.string().nullable() });

export const documentVersionSchema = z
  .object({
    version: z.number().int().min(1).describe('From 1; the highest is the document’s current content'),
    fileName: z.string(),
    mimeType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    uploadedBy: z.string(),
    createdAt: z.string(),
  })
  .describe('DocumentVersion');

export const buildingParams = z.object({ buildingId: z.string().uuid() });
export const documentParams = z.object({ id: z.string().uuid() });
export const versionParams = z.object({ id: z.string().uuid(), version: z.coerce.number().int().min(1).max(2_147_483_647) });

export const listQuery = z.object({
  type: z.enum(DOCUMENT_TYPES).optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});

/** Error responses every authenticated route may give. */
export const errorResponses = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  503: problemSchema,
};
