import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DocumentError } from '../../documents/document-errors.js';
import type { DocumentVersion } from '../../shared/document-version.js';
import { contentDisposition } from '../../shared/file-name.js';
import { runIdempotently } from '../idempotency-key.js';
import { documentParams, documentVersionSchema, errorResponses, problemSchema, versionParams } from '../schemas.js';
import { serveHijacked, uploadParts, type DocumentsRoutesOptions } from './documents-routes.js';

const security = [{ bearerAuth: [] }];

/**
 * `/api/v1/documents/{id}/versions`: a document's versions. Adding one follows the upload's rules
 * (multipart, sniffed, size-limited, create-only, `Idempotency-Key`, one upload slot); downloads
 * answer as `/content` does (Range, ETag, If-None-Match).
 */
export async function documentVersionsRoutes(app: FastifyInstance, options: DocumentsRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { documents, authenticate } = options;

  api.post(
    '/documents/:id/versions',
    {
      schema: {
        summary: 'Upload a new version of a document (multipart/form-data: file only); it becomes the document’s current content, older versions are kept',
        tags: ['documents'],
        security,
        consumes: ['multipart/form-data'],
        params: documentParams,
        headers: z.object({ 'idempotency-key': z.string().optional().describe('Makes a retry safe: the same key within 24 h returns the first answer (see docs/api.md)') }).passthrough(),
        response: { 201: documentVersionSchema, ...errorResponses, 409: problemSchema, 413: problemSchema, 415: problemSchema, 422: problemSchema, 429: problemSchema },
      },
    },
    async (request, reply) => {
      const principal = await authenticate(request);
      if (!request.isMultipart()) throw new DocumentError('upload.not_multipart', 'Send the version as multipart/form-data');
      const { id } = request.params;
      const slot = options.uploads.admit(request.raw, principal.userId);
      try {
        const outcome = await runIdempotently<DocumentVersion>(options.idempotency, request, principal, 201, (beforeCommit) =>
          documents.addVersion(principal, id, uploadParts(request), beforeCommit === undefined ? {} : { beforeCommit }),
        );
        if (outcome.replayed) {
          // The first outcome, without reading this body again: the connection closes after it.
          const replayed = outcome.body as DocumentVersion;
          return reply.code(outcome.status).header('idempotent-replayed', 'true').header('connection', 'close').header('location', `/api/v1/documents/${id}/versions/${replayed.version}`).send(replayed);
        }
        return reply.code(201).header('location', `/api/v1/documents/${id}/versions/${outcome.result.version}`).send(outcome.result);
      } finally {
        slot.release();
      }
    },
  );

  api.get(
    '/documents/:id/versions',
    {
      schema: {
        summary: 'A document’s versions, newest first (the first is its current content)',
        tags: ['documents'],
        security,
        params: documentParams,
        response: { 200: z.object({ items: z.array(documentVersionSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: await documents.versions(await authenticate(request), request.params.id) }),
  );

  api.get(
    '/documents/:id/versions/:version',
    { schema: { summary: 'One version of a document', tags: ['documents'], security, params: versionParams, response: { 200: documentVersionSchema, ...errorResponses } } },
    async (request) => documents.version(await authenticate(request), request.params.id, request.params.version),
  );

  api.get(
    '/documents/:id/versions/:version/content',
    {
      schema: {
        summary: 'One version’s bytes (Range, If-None-Match supported)',
        tags: ['documents'],
        security,
        params: versionParams,
        querystring: z.object({ disposition: z.enum(['attachment', 'inline']).default('attachment') }),
        response: { ...errorResponses, 416: problemSchema },
      },
    },
    async (request, reply) => {
      const { version, storageKey } = await documents.versionStorageKeyOf(await authenticate(request), request.params.id, request.params.version);
      await serveHijacked(request, reply, {
        storage: options.storage,
        key: storageKey,
        contentType: version.mimeType,
        contentDisposition: contentDisposition(version.fileName, request.query.disposition),
        sha256: version.sha256,
        lastModified: new Date(version.createdAt),
        ...(options.integrity === undefined ? {} : { check: options.integrity.checkFor(storageKey, version.sha256) }),
      });
    },
  );

  api.post(
    '/documents/:id/versions/:version/download-url',
    {
      schema: {
        summary: 'A time-limited download link to one version that needs no token',
        tags: ['documents'],
        security,
        params: versionParams,
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
      return documents.versionDownloadUrl(await authenticate(request), request.params.id, request.params.version, body.expiresInSeconds, body.disposition);
    },
  );
}
