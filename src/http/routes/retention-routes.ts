import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../shared/principal.js';
import { DOCUMENT_TYPES } from '../../shared/document.js';
import type { DocumentService } from '../../documents/document-service.js';
import { isCalendarDate } from '../../documents/retention/calendar-date.js';
import { buildingParams, documentParams, errorResponses, problemSchema } from '../schemas.js';

export interface RetentionRoutesOptions {
  documents: DocumentService;
  authenticate: (request: FastifyRequest) => Promise<Principal>;
}

const security = [{ bearerAuth: [] }];
const reason = z.string().max(2000).describe('Why: kept with the change (at least 3 characters)');
const calendarDate = z.string().refine(isCalendarDate, 'must be a date written YYYY-MM-DD');

const changeSchema = z.object({
  id: z.string(),
  documentId: z.string().nullable(),
  documentType: z.string().nullable(),
  previous: z.string(),
  next: z.string(),
  reason: z.string(),
  changedBy: z.string(),
  changedAt: z.string(),
});

const legalHoldSchema = z
  .object({
    id: z.string(),
    buildingId: z.string(),
    documentId: z.string().nullable().describe('Null: the hold covers the whole building'),
    reason: z.string(),
    placedBy: z.string(),
    placedAt: z.string(),
    releasedBy: z.string().nullable(),
    releasedAt: z.string().nullable(),
    releaseReason: z.string().nullable(),
  })
  .describe('LegalHold');

const holdStateSchema = z.object({ held: z.boolean(), hold: legalHoldSchema.nullable() });
const holdBody = z.object({ held: z.boolean(), reason }).strict();

const organizationRetentionSchema = z.object({
  organizationId: z.string(),
  periods: z.array(z.object({ type: z.enum(DOCUMENT_TYPES), period: z.string(), source: z.enum(['default', 'service', 'organization']) })),
  changes: z.array(changeSchema),
});

const documentRetentionSchema = z.object({
  documentId: z.string(),
  retainUntil: z.string().nullable(),
  permanent: z.boolean(),
  active: z.boolean(),
  basis: z.enum(['financial_year', 'contract_end', 'upload', 'override', 'permanent', 'none']),
  legalHold: z.enum(['document', 'building']).nullable(),
  changes: z.array(changeSchema),
});

/** `/api/v1` routes of retention policies, a document's retention date, and legal holds (docs/retention.md). */
export async function retentionRoutes(app: FastifyInstance, options: RetentionRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { authenticate } = options;
  const retention = options.documents.retention;

  api.get(
    '/organizations/:organizationId/retention-policies',
    {
      schema: {
        summary: 'The organisation’s retention period for each document type, where each comes from, and the changes with their reasons',
        tags: ['retention'],
        security,
        params: z.object({ organizationId: z.string().min(1).max(36) }),
        response: { 200: organizationRetentionSchema, ...errorResponses },
      },
    },
    async (request) => retention.organizationRetention(await authenticate(request), request.params.organizationId),
  );

  api.put(
    '/organizations/:organizationId/retention-policies',
    {
      schema: {
        summary: 'Superadmins: set periods by type (years, "permanent", "none"; null returns to the service’s), with a reason',
        tags: ['retention'],
        security,
        params: z.object({ organizationId: z.string().min(1).max(36) }),
        body: z.object({ periods: z.partialRecord(z.enum(DOCUMENT_TYPES), z.string().max(16).nullable()), reason }).strict(),
        response: { 200: organizationRetentionSchema, ...errorResponses },
      },
    },
    async (request) => retention.setOrganizationRetention(await authenticate(request), request.params.organizationId, request.body),
  );

  api.get(
    '/documents/:id/retention',
    {
      schema: {
        summary: 'A document’s retention, hold and the changes of its retention date',
        tags: ['retention'],
        security,
        params: documentParams,
        response: { 200: documentRetentionSchema, ...errorResponses },
      },
    },
    async (request) => retention.documentRetention(await authenticate(request), request.params.id),
  );

  api.put(
    '/documents/:id/retention',
    {
      schema: {
        summary: 'Set a document’s retention date (null: the computed one) with a reason; shortening needs a superadmin',
        tags: ['retention'],
        security,
        params: documentParams,
        body: z.object({ retainUntil: calendarDate.nullable(), reason }).strict(),
        response: { 200: documentRetentionSchema, ...errorResponses },
      },
    },
    async (request) => retention.setDocumentRetention(await authenticate(request), request.params.id, request.body),
  );

  api.put(
    '/documents/:id/legal-hold',
    {
      schema: {
        summary: 'Syndics, superadmins: place ({held: true}) or release a legal hold on a document, with a reason each way',
        tags: ['retention'],
        security,
        params: documentParams,
        body: holdBody,
        response: { 200: holdStateSchema, ...errorResponses, 409: problemSchema },
      },
    },
    async (request) => retention.setDocumentHold(await authenticate(request), request.params.id, request.body),
  );

  api.put(
    '/buildings/:buildingId/legal-hold',
    {
      schema: {
        summary: 'Syndics, superadmins: place or release a legal hold on a whole building, with a reason each way',
        tags: ['retention'],
        security,
        params: buildingParams,
        body: holdBody,
        response: { 200: holdStateSchema, ...errorResponses },
      },
    },
    async (request) => retention.setBuildingHold(await authenticate(request), request.params.buildingId, request.body),
  );

  api.get(
    '/buildings/:buildingId/legal-holds',
    {
      schema: {
        summary: 'Syndics, superadmins: the building’s legal holds and its documents’, active and released, newest first',
        tags: ['retention'],
        security,
        params: buildingParams,
        response: { 200: z.object({ items: z.array(legalHoldSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: await retention.buildingHolds(await authenticate(request), request.params.buildingId) }),
  );
}
