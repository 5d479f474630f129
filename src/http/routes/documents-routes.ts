import '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../shared/principal.js';
import { DocumentError } from '../../documents/document-errors.js';
import { documentPatchSchema, type DocumentService } from '../../documents/document-service.js';
import { contentDisposition } from '../../shared/file-name.js';
import { writeObjectResponse } from '../content/object-response.js';
import { retryAfterSecondsOf, toProblem } from '../problem-details.js';
import { buildingParams, documentParams, documentSchema, errorResponses, listQuery, pageSchema, problemSchema } from '../schemas.js';
import type { UploadLimiter } from '../limits/upload-limiter.js';
import { answerUpload, idempotencyKeyHeaders, uploadParts, uploadRefusals } from './upload-route.js';
import type { Document } from '../../shared/document.js';
import type { IdempotencyStore } from '../../idempotency/idempotency-store.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import type { ContentIntegrity } from '../../documents/integrity/content-integrity.js';
import { hijackKeepingHeaders } from '../content/hijacked-reply.js';

export interface DocumentsRoutesOptions {
  documents: DocumentService;
  storage: ObjectStorage;
  /** `Idempotency-Key` outcomes: a retried upload returns the first one's document. */
  idempotency: IdempotencyStore;
  /** Slots of uploads in flight; an upload holds one from before its body is read until it is over. */
  uploads: UploadLimiter;
  authenticate: (request: FastifyRequest) => Promise<Principal>;
  /** When given, full reads are checked against the recorded SHA-256 (`ContentIntegrity`). */
  integrity?: ContentIntegrity;
}

const security = [{ bearerAuth: [] }];

/** `/api/v1` document routes. Every route authenticates first; the service authorises. */
export async function documentsRoutes(app: FastifyInstance, options: DocumentsRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { documents, authenticate } = options;

  api.post(
    '/buildings/:buildingId/documents',
    {
      schema: {
        summary: 'Upload a document (multipart/form-data: type, title, description?, relatedMeetingId?, relatedExpenseId?, file)',
        tags: ['documents'],
        security,
        consumes: ['multipart/form-data'],
        params: buildingParams,
        headers: idempotencyKeyHeaders,
        response: { 201: documentSchema, ...errorResponses, ...uploadRefusals },
      },
    },
    async (request, reply) => {
      const principal = await authenticate(request);
      return answerUpload<Document>(
        request,
        reply,
        options,
        principal,
        (beforeCommit) => documents.upload(principal, request.params.buildingId, uploadParts(request), beforeCommit === undefined ? {} : { beforeCommit }),
        {
          what: 'document',
          // Retention and hold as they are now, not as they were at the first upload.
          replay: async (body) => {
            const [replayed] = await documents.annotate([body as Document]);
            if (replayed === undefined) throw DocumentError.notFound('Document', (body as Document).id);
            return replayed;
          },
          location: (document) => `/api/v1/documents/${document.id}`,
          stored: (document) => {
            (request as { uploadedBytes?: number }).uploadedBytes = document.size;
          },
        },
      );
    },
  );

  api.get(
    '/buildings/:buildingId/documents',
    {
      schema: {
        summary: 'List a building’s documents, newest first',
        tags: ['documents'],
        security,
        params: buildingParams,
        querystring: listQuery,
        response: { 200: pageSchema, ...errorResponses },
      },
    },
    async (request) => documents.list(await authenticate(request), request.params.buildingId, withoutUndefined(request.query)),
  );

  api.get(
    '/buildings/:buildingId/trash',
    {
      schema: {
        summary: 'List a building’s deleted documents, newest first',
        tags: ['documents'],
        security,
        params: buildingParams,
        querystring: listQuery,
        response: { 200: pageSchema, ...errorResponses },
      },
    },
    async (request) => documents.list(await authenticate(request), request.params.buildingId, withoutUndefined(request.query), true),
  );

  api.get(
    '/documents/:id',
    { schema: { summary: 'A document', tags: ['documents'], security, params: documentParams, response: { 200: documentSchema, ...errorResponses } } },
    async (request) => documents.get(await authenticate(request), request.params.id),
  );

  api.get(
    '/documents/:id/content',
    {
      schema: {
        summary: 'The document’s bytes (Range, If-None-Match supported)',
        tags: ['documents'],
        security,
        params: documentParams,
        querystring: z.object({ disposition: z.enum(['attachment', 'inline']).default('attachment') }),
        response: { ...errorResponses, 416: problemSchema },
      },
    },
    async (request, reply) => {
      const principal = await authenticate(request);
      const { document, storageKey, version } = await documents.storageKeyOf(principal, request.params.id);
      await serveHijacked(request, reply, {
        storage: options.storage,
        key: storageKey,
        contentType: document.mimeType,
        contentDisposition: contentDisposition(document.fileName, request.query.disposition),
        sha256: document.sha256,
        lastModified: new Date(document.createdAt),
        ...(options.integrity === undefined ? {} : { check: options.integrity.checkFor(storageKey, document.sha256) }),
        // Recorded before the first byte leaves; a failure to record answers an error instead.
        beforeSend: (served) => documents.reads.read(principal, document, storageKey, { disposition: request.query.disposition, ...(served.range === undefined ? {} : { range: served.range }) }, version),
      });
    },
  );

  api.post(
    '/documents/:id/download-url',
    {
      schema: {
        summary: 'A time-limited download link that needs no token',
        tags: ['documents'],
        security,
        params: documentParams,
        body: z
          .object({
            expiresInSeconds: z.number().int().min(1).max(3600).default(300),
            disposition: z.enum(['attachment', 'inline']).default('attachment'),
          })
          .default({ expiresInSeconds: 300, disposition: 'attachment' }),
        response: { 200: z.object({ url: z.string(), expiresAt: z.string() }), ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body ?? { expiresInSeconds: 300, disposition: 'attachment' as const };
      return documents.downloadUrl(await authenticate(request), request.params.id, body.expiresInSeconds, body.disposition);
    },
  );

  api.patch(
    '/documents/:id',
    {
      schema: {
        summary: 'Edit title, description, type or related meeting/expense',
        tags: ['documents'],
        security,
        params: documentParams,
        body: documentPatchSchema,
        response: { 200: documentSchema, ...errorResponses },
      },
    },
    async (request) => documents.update(await authenticate(request), request.params.id, request.body),
  );

  api.delete(
    '/documents/:id',
    { schema: { summary: 'Move a document to the trash', tags: ['documents'], security, params: documentParams, response: { 204: z.void().describe('Deleted'), ...errorResponses } } },
    async (request, reply) => {
      await documents.delete(await authenticate(request), request.params.id);
      return reply.code(204).send(undefined);
    },
  );

  api.post(
    '/documents/:id/restore',
    { schema: { summary: 'Bring a document back from the trash', tags: ['documents'], security, params: documentParams, response: { 200: documentSchema, ...errorResponses } } },
    async (request) => documents.restore(await authenticate(request), request.params.id),
  );
}

/** Serves content on the raw response (streams, ranges, 304) with the API's error format. */
export async function serveHijacked(request: FastifyRequest, reply: FastifyReply, options: Parameters<typeof writeObjectResponse>[2]): Promise<void> {
  hijackKeepingHeaders(reply);
  try {
    await writeObjectResponse(request.raw, reply.raw, options);
  } catch (error) {
    request.log.error({ err: error }, 'serving content failed');
    if (reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    const problem = toProblem(error, request.url);
    const retryAfterSeconds = retryAfterSecondsOf(error);
    reply.raw.writeHead(problem.status, { 'content-type': 'application/problem+json', ...(retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) }) });
    reply.raw.end(JSON.stringify(problem));
  }
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}
