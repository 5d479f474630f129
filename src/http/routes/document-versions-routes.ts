import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DocumentVersion } from '../../shared/document-version.js';
import { contentDisposition } from '../../shared/file-name.js';
import { documentParams, documentVersionSchema, errorResponses, problemSchema, versionParams } from '../schemas.js';
import { serveHijacked, type DocumentsRoutesOptions } from './documents-routes.js';
import { answerUpload, idempotencyKeyHeaders, uploadParts, uploadRefusals } from './upload-route.js';

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
        headers: idempotencyKeyHeaders,
        response: { 201: documentVersionSchema, ...errorResponses, ...uploadRefusals },
      },
    },
    async (request, reply) => {
      const principal = await authenticate(request);
      const { id } = request.params;
      return answerUpload<DocumentVersion>(request, reply, options, principal, (beforeCommit) => documents.addVersion(principal, id, uploadParts(request), beforeCommit === undefined ? {} : { beforeCommit }), {
        what: 'version',
        replay: async (body) => body as DocumentVersion,
        location: (version) => `/api/v1/documents/${id}/versions/${version.version}`,
      });
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
      const principal = await authenticate(request);
      const { document, version, storageKey } = await documents.versionStorageKeyOf(principal, request.params.id, request.params.version);
      await serveHijacked(request, reply, {
        storage: options.storage,
        key: storageKey,
        contentType: version.mimeType,
        contentDisposition: contentDisposition(version.fileName, request.query.disposition),
        sha256: version.sha256,
        lastModified: new Date(version.createdAt),
        ...(options.integrity === undefined ? {} : { check: options.integrity.checkFor(storageKey, version.sha256) }),
        // Recorded before the first byte leaves; a failure to record answers an error instead.
        beforeSend: (served) =>
          documents.reads.read(principal, document, storageKey, { disposition: request.query.disposition, ...(served.range === undefined ? {} : { range: served.range }) }, version.version),
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
