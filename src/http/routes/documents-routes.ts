import '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../shared/principal.js';
import { DocumentError } from '../../documents/document-errors.js';
import { documentPatchSchema, type DocumentService, type UploadPart } from '../../documents/document-service.js';
import { contentDisposition } from '../../shared/file-name.js';
import { decodeFormDataFileName } from '../form-data-file-name.js';
import { writeObjectResponse } from '../object-response.js';
import { retryAfterSecondsOf, toProblem } from '../problem-details.js';
import { buildingParams, documentParams, documentSchema, errorResponses, listQuery, pageSchema, problemSchema } from '../schemas.js';
import type { UploadLimiter } from '../upload-limiter.js';
import { runIdempotently } from '../idempotency-key.js';
import type { Document, ProtectedDocument } from '../../shared/document.js';
import type { IdempotencyStore } from '../../idempotency/idempotency-store.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import type { ContentIntegrity } from '../../documents/integrity/content-integrity.js';

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
        headers: z.object({ 'idempotency-key': z.string().optional().describe('Makes a retry safe: the same key within 24 h returns the first upload’s document (see docs/api.md)') }).passthrough(),
        response: { 201: documentSchema, ...errorResponses, 409: problemSchema, 413: problemSchema, 415: problemSchema, 422: problemSchema, 429: problemSchema },
      },
    },
    async (request, reply) => {
      const principal = await authenticate(request);
      if (!request.isMultipart()) throw new DocumentError('upload.not_multipart', 'Send the document as multipart/form-data');
      const slot = options.uploads.admit(request.raw, principal.userId);
      try {
        const outcome = await runIdempotently<Document>(options.idempotency, request, principal, 201, (beforeCommit) =>
          documents.upload(principal, request.params.buildingId, uploadParts(request), beforeCommit === undefined ? {} : { beforeCommit }),
        );
        if (outcome.replayed) {
          // The first outcome, without reading this body again: the connection closes after it.
          // Retention and hold as they are now, not as they were at the first upload.
          const [replayed] = await documents.annotate([outcome.body as Document]);
          if (replayed === undefined) throw DocumentError.notFound('Document', (outcome.body as Document).id);
          return reply.code(outcome.status).header('idempotent-replayed', 'true').header('connection', 'close').header('location', `/api/v1/documents/${replayed.id}`).send(replayed);
        }
        // What `documents.upload` returned: annotated with its retention and hold.
        const document = outcome.result as ProtectedDocument;
        (request as { uploadedBytes?: number }).uploadedBytes = document.size;
        return reply.code(201).header('location', `/api/v1/documents/${document.id}`).send(document);
      } finally {
        slot.release();
      }
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
      const { document, storageKey } = await documents.storageKeyOf(await authenticate(request), request.params.id);
      await serveHijacked(request, reply, {
        storage: options.storage,
        key: storageKey,
        contentType: document.mimeType,
        contentDisposition: contentDisposition(document.fileName, request.query.disposition),
        sha256: document.sha256,
        lastModified: new Date(document.createdAt),
        ...(options.integrity === undefined ? {} : { check: options.integrity.checkFor(storageKey, document.sha256) }),
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

export async function* uploadParts(request: FastifyRequest): AsyncIterable<UploadPart> {
  for await (const part of request.parts()) {
    if (part.type === 'file') yield { kind: 'file', fieldName: part.fieldname, fileName: decodeFormDataFileName(part.filename), stream: part.file };
    else yield { kind: 'field', name: part.fieldname, value: String(part.value) };
  }
}

/** Serves content on the raw response (streams, ranges, 304) with the API's error format. */
export async function serveHijacked(request: FastifyRequest, reply: FastifyReply, options: Parameters<typeof writeObjectResponse>[2]): Promise<void> {
  reply.hijack();
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
