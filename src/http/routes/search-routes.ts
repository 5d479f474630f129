import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DocumentService } from '../../documents/document-service.js';
import type { DocstoreMetrics } from '../../metrics/docstore-metrics.js';
import type { SearchService } from '../../search/search-service.js';
import { DOCUMENT_TYPES } from '../../shared/document.js';
import type { Principal } from '../../shared/principal.js';
import { documentParams, documentSchema, errorResponses, problemSchema } from '../schemas.js';

export interface SearchRoutesOptions {
  search: SearchService;
  documents: DocumentService;
  authenticate: (request: FastifyRequest) => Promise<Principal>;
  metrics?: DocstoreMetrics;
}

const security = [{ bearerAuth: [] }];
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD');

const snippetSchema = z
  .array(z.object({ text: z.string(), match: z.boolean().describe('A word the query found: show it highlighted') }))
  .describe('The passage of the extracted text around the first match, as parts (never HTML)');

const searchQuery = z.object({
  q: z.string().min(1).max(500).describe('Words, prefix*, "phrases", -exclusions; case and accents ignored (docs/search.md)'),
  building: z.string().min(1).max(100).optional().describe('Only this building'),
  type: z.enum(DOCUMENT_TYPES).optional(),
  from: day.optional().describe('Documents dated on or after (YYYY-MM-DD)'),
  to: day.optional().describe('Documents dated on or before (YYYY-MM-DD)'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

const textSchema = z.object({
  documentId: z.string(),
  version: z.number().int().nullable().describe('The version the text comes from'),
  text: z.string().nullable().describe('Null before extraction, for a format docstore does not read, or a type excluded from the index'),
  method: z.string().nullable().describe('text (a text layer or format), ocr, text+ocr'),
  extractedAt: z.string().nullable(),
  status: z.string().nullable().describe("The current version's extraction: pending, running, done, limited, failed, unsupported, ocr_off, excluded, superseded"),
  error: z.string().nullable().describe('Why it was limited, failed or skipped'),
});

/** `/api/v1` routes of search inside documents (docs/search.md). */
export async function searchRoutes(app: FastifyInstance, options: SearchRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { authenticate, search, documents, metrics } = options;

  api.get(
    '/search',
    {
      schema: {
        summary: 'Search inside the documents the caller may read: ranked, with a highlighted snippet; totals count nothing the caller may not see',
        tags: ['search'],
        security,
        querystring: searchQuery,
        response: {
          200: z.object({ items: z.array(z.object({ document: documentSchema, snippet: snippetSchema })), total: z.number().int(), totalCapped: z.boolean(), nextCursor: z.string().nullable() }),
          ...errorResponses,
          503: problemSchema,
        },
      },
    },
    async (request) => {
      const principal = await authenticate(request);
      const { q, building, type, from, to, limit, cursor } = request.query;
      const started = process.hrtime.bigint();
      const page = await search.search(principal, {
        q,
        limit,
        ...(building === undefined ? {} : { buildingId: building }),
        ...(type === undefined ? {} : { type }),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      metrics?.searchDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      const annotated = await documents.annotate(page.items.map((item) => item.document));
      return { items: page.items.map((item, index) => ({ document: annotated[index] ?? item.document, snippet: item.snippet })) as never, total: page.total, totalCapped: page.totalCapped, nextCursor: page.nextCursor };
    },
  );

  api.get(
    '/search/status',
    {
      schema: {
        summary: 'Whether search, PDF text extraction and OCR are on here, and with which languages',
        tags: ['search'],
        security,
        response: {
          200: z.object({
            index: z.enum(['on', 'off']),
            ocr: z.enum(['on', 'off']).describe('off: tesseract (with the configured languages) is not installed, scans and images are not read'),
            pdfText: z.enum(['on', 'off']),
            ocrLanguages: z.string(),
            excludedTypes: z.array(z.string()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await authenticate(request);
      return search.status();
    },
  );

  const settingsSchema = z.object({
    organizationId: z.string(),
    ocrLanguages: z.string().describe('tesseract languages for this organisation’s scans and images, e.g. fra+nld'),
    source: z.enum(['organization', 'service']).describe('service: DOCSTORE_OCR_LANGUAGES, the organisation chose none'),
    installedLanguages: z.array(z.string()),
  });
  const organizationParams = z.object({ organizationId: z.string().min(1).max(36) });

  api.get(
    '/organizations/:organizationId/search-settings',
    {
      schema: {
        summary: 'The organisation’s OCR languages (syndics, accountants, superadmins)',
        tags: ['search'],
        security,
        params: organizationParams,
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (request) => search.settings(await authenticate(request), request.params.organizationId),
  );

  api.put(
    '/organizations/:organizationId/search-settings',
    {
      schema: {
        summary: 'Syndics and superadmins: the organisation’s OCR languages (installed ones, joined by +); null returns to the service’s. Applies to documents extracted from now on (docstore index rebuild re-reads the others)',
        tags: ['search'],
        security,
        params: organizationParams,
        body: z.object({ ocrLanguages: z.string().max(100).nullable() }).strict(),
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (request) => search.setSettings(await authenticate(request), request.params.organizationId, request.body.ocrLanguages),
  );

  api.get(
    '/documents/:id/text',
    { schema: { summary: "The text extracted from a document's current version, and its extraction's status", tags: ['search'], security, params: documentParams, response: { 200: textSchema, ...errorResponses } } },
    async (request) => search.text(await authenticate(request), request.params.id),
  );
}
