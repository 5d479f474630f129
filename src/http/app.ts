import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { JwtVerifier } from '../auth/jwt-verifier.js';
import type { Principal } from '../shared/principal.js';
import { DatabaseUnavailable, type Database } from '../db/database.js';
import type { ContentRead, DocumentService } from '../documents/document-service.js';
import { LOCAL_SIGNED_LINK_PATH } from '../storage/create-object-storage.js';
import type { ObjectLinkSigner } from '../storage/object-link-signer.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { StorageUnavailable } from '../storage/storage-errors.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import { withDeadline } from '../lib/deadline.js';
import { uploadSizeClass, type DocstoreMetrics } from '../metrics/docstore-metrics.js';
import type { BuildingCatalog } from '../documents/building-catalog.js';
import type { ContentIntegrity } from '../documents/integrity/content-integrity.js';
import { registerConsoleRoutes, sendConsoleIndex, wantsConsole, type ConsoleAssets } from './console/console-assets.js';
import { retryAfterSecondsOf, toProblem } from './problem-details.js';
import { buildingsRoutes } from './routes/buildings-routes.js';
import { documentsRoutes } from './routes/documents-routes.js';
import { documentVersionsRoutes } from './routes/document-versions-routes.js';
import { retentionRoutes } from './routes/retention-routes.js';
import { handoverRoutes } from './routes/handover-routes.js';
import type { HandoverService } from '../handover/handover-service.js';
import { searchRoutes } from './routes/search-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { resumableUploadRoutes } from './routes/resumable-upload-routes.js';
import { CORS_EXPOSED_HEADERS } from './cors-origins.js';
import { hijackKeepingHeaders } from './content/hijacked-reply.js';
import type { ResumableUploads } from '../uploads/resumable-uploads.js';
import type { AuditQuery } from '../audit/query/audit-query.js';
import type { SearchService } from '../search/search-service.js';
import { problemSchema } from './schemas.js';
import { DEFAULT_REQUEST_TIMEOUTS, nodeServerTimeouts, type RequestTimeouts } from './limits/request-timeouts.js';
import { serveSignedLink } from './content/signed-link-handler.js';
import { answerClosesConnection } from './limits/unread-body.js';
import { principalOf, refusalTargetOf, rememberPrincipal } from './refused-request.js';
import { DEFAULT_UPLOAD_LIMITS, UploadLimiter } from './limits/upload-limiter.js';

export interface AppDependencies {
  db: Kysely<Database>;
  storage: ObjectStorage;
  documents: DocumentService;
  buildings: BuildingCatalog;
  idempotency: IdempotencyStore;
  verifier: JwtVerifier;
  /** The signer of the links docstore serves itself, under /api/v1/signed (local backend, encryption, SSE). */
  signer?: ObjectLinkSigner;
  maxUploadBytes: number;
  /** MIME types an upload may have (decided from its bytes), told to clients by `GET /api/v1/me`. */
  allowedMimeTypes: readonly string[];
  /** Days a deleted document stays in the trash (`DOCSTORE_TRASH_DAYS`), told to clients by `GET /api/v1/me`. */
  trashDays: number;
  /** pino options, or false for no logs (tests). */
  logger?: boolean | { level: string };
  /** When given, requests and uploads are measured. */
  metrics?: DocstoreMetrics;
  /** When given, the change-of-syndic routes (building exports and transfers) are served. */
  handover?: HandoverService;
  /** When given, full reads (`/content`, versions, signed links) are checked against the recorded SHA-256. */
  integrity?: ContentIntegrity;
  /** Search inside documents (`/api/v1/search`); without it those routes are not registered. */
  search?: SearchService;
  /** Reading and exporting the audit trail (`/api/v1/audit`); without it those routes are not registered. */
  audit?: AuditQuery;
  /** The built web console, served at `/`; without it `/` says how to build it. */
  console?: ConsoleAssets;
  /** How long `/health/ready` waits for each of the database and the storage, in seconds. @default 3 */
  healthCheckTimeoutSeconds?: number;
  /** Admits uploads (slots in flight, idle timeout). @default a limiter of DEFAULT_UPLOAD_LIMITS */
  uploads?: UploadLimiter;
  /**
   * Origins whose pages may call the API (`DOCSTORE_CORS_ORIGINS`): preflights answered, the
   * headers of uploads and downloads exposed, no credentials (bearer tokens). Any other origin gets
   * no CORS header. @default none
   */
  corsOrigins?: readonly string[];
  /** Resumable uploads (tus) at `/api/v1/uploads`; without it that endpoint is not served. */
  resumableUploads?: ResumableUploads;
  /** How long a client may take to send a request's headers, and its whole request. @default DEFAULT_REQUEST_TIMEOUTS */
  requestTimeouts?: RequestTimeouts;
}

const UPLOAD_ROUTE = '/api/v1/buildings/:buildingId/documents';

/** Why an upload was refused, for `docstore_uploads_rejected_total`. */
function rejectionReason(code: string): string {
  if (code === 'upload.too_large' || code === 'request.too_large') return 'size';
  if (code === 'upload.unsupported_content' || code === 'upload.not_multipart' || code === 'request.unsupported_media_type') return 'type';
  if (code.startsWith('auth.') || code === 'documents.not_found') return 'auth';
  if (code === 'upload.too_many_in_flight') return 'busy';
  return 'invalid';
}

/**
 * Builds the HTTP application without listening (`server.ts` listens): the documents API under
 * /api/v1, signed links, health checks, OpenAPI at /openapi.json, browsable docs at /docs and the
 * web console at `/`.
 * Every error answers RFC 9457 problem+json.
 */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const timeouts = deps.requestTimeouts ?? DEFAULT_REQUEST_TIMEOUTS;
  const app = Fastify({
    requestTimeout: timeouts.requestSeconds * 1000,
    http: nodeServerTimeouts(timeouts),
    logger:
      deps.logger === false || deps.logger === undefined
        ? false
        : {
            level: deps.logger === true ? 'info' : deps.logger.level,
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            serializers: {
              // Signed-link tokens are credentials: never logged.
              req: (request: { method: string; url: string; id: string }) => ({
                method: request.method,
                url: request.url.replace(/\/signed\/[^/?]+/, '/signed/[redacted]'),
                id: request.id,
              }),
            },
          },
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    // Signed-link tokens carry the key, type and disposition.
    routerOptions: { maxParamLength: 4096 },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // An upload refused before its body has arrived closes the connection, so browsers see it at once.
  app.addHook('onSend', async (request, reply) => {
    if (answerClosesConnection(request.raw)) reply.header('connection', 'close');
  });
  const metrics = deps.metrics;
  if (metrics !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const seconds = reply.elapsedTime / 1000;
      metrics.httpRequests.inc({ route, method: request.method, status_class: `${Math.floor(reply.statusCode / 100)}xx` });
      metrics.httpRequestDuration.observe({ route, method: request.method }, seconds);
      if (route === UPLOAD_ROUTE && request.method === 'POST' && reply.statusCode === 201) {
        const size = (request as { uploadedBytes?: number }).uploadedBytes ?? 0;
        metrics.uploadSize.observe(size);
        metrics.uploadDuration.observe({ size_class: uploadSizeClass(size) }, seconds);
      }
    });
  }
  app.setErrorHandler(async (error, request, reply) => {
    let problem = toProblem(error, request.url.replace(/\/signed\/[^/?]+/, '/signed/[redacted]'));
    // A refusal on a resource that exists is recorded (access.refused); failing to record fails the request.
    const principal = principalOf(request);
    const target = problem.code === 'auth.forbidden' && principal !== undefined ? refusalTargetOf(request) : undefined;
    if (principal !== undefined && target !== undefined) {
      try {
        await deps.documents.refusals.record(principal, target, { method: request.method, route: request.routeOptions.url ?? null, reason: problem.detail });
      } catch (recording) {
        request.log.error({ err: recording }, 'could not record a refused request');
        error = recording as typeof error;
        problem = toProblem(recording, request.url);
      }
    }
    // An upload whose connection is gone was aborted (docstore_uploads_aborted_total), not refused.
    if (metrics !== undefined && request.routeOptions.url === UPLOAD_ROUTE && request.method === 'POST' && !request.raw.destroyed) {
      metrics.uploadsRejected.inc({ reason: rejectionReason(problem.code) });
    }
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: problem.code }, problem.detail);
    const retryAfterSeconds = retryAfterSecondsOf(error);
    if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
    return reply.code(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    // Console paths are client-side routes; API paths keep answering problem+json.
    if (wantsConsole(request)) return sendConsoleIndex(deps.console, request, reply);
    const problem = { ...toProblem(undefined, request.url), code: 'request.not_found', status: 404, title: 'Not found', type: 'urn:docstore:request.not_found', detail: `No route for ${request.method} ${request.url.split('?')[0]}` };
    return reply.code(404).type('application/problem+json').send(problem);
  });

  const corsOrigins = new Set(deps.corsOrigins ?? []);
  if (corsOrigins.size > 0) {
    await app.register(cors, {
      origin: (origin, callback) => callback(null, origin !== undefined && corsOrigins.has(origin)),
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      exposedHeaders: CORS_EXPOSED_HEADERS,
      credentials: false,
      maxAge: 600,
    });
  }
  await app.register(multipart, {
    // docstore enforces the size itself while streaming (413 with cleanup); this is a backstop.
    limits: { fileSize: deps.maxUploadBytes + 1024 * 1024, files: 5, fields: 20, fieldSize: 16 * 1024, parts: 30 },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'docstore', version: '1', description: 'Documents of Belgian co-ownerships, per organisation, building and role.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // The principal carries its request (id, client address, user agent) to the audit trail.
  // It is kept on the request, so that a refusal (403) can be recorded with it.
  const authenticate = async (request: FastifyRequest): Promise<Principal> =>
    rememberPrincipal(request, {
      ...(await deps.verifier.verify(request.headers.authorization)),
      origin: { channel: 'api', requestId: request.id, clientAddress: request.ip, ...(typeof request.headers['user-agent'] === 'string' ? { userAgent: request.headers['user-agent'] } : {}) },
    });
  const uploads = deps.uploads ?? new UploadLimiter(DEFAULT_UPLOAD_LIMITS, metrics);
  const integrity = deps.integrity === undefined ? {} : { integrity: deps.integrity };
  await app.register(documentsRoutes, { prefix: '/api/v1', documents: deps.documents, storage: deps.storage, uploads, idempotency: deps.idempotency, authenticate, ...integrity });
  await app.register(documentVersionsRoutes, { prefix: '/api/v1', documents: deps.documents, storage: deps.storage, uploads, idempotency: deps.idempotency, authenticate, ...integrity });
  await app.register(retentionRoutes, { prefix: '/api/v1', documents: deps.documents, authenticate });
  await app.register(buildingsRoutes, {
    prefix: '/api/v1',
    buildings: deps.buildings,
    documents: deps.documents,
    db: deps.db,
    storage: deps.storage,
    maxUploadBytes: deps.maxUploadBytes,
    allowedMimeTypes: deps.allowedMimeTypes,
    trashDays: deps.trashDays,
    authenticate,
  });
  if (deps.search !== undefined) {
    await app.register(searchRoutes, { prefix: '/api/v1', search: deps.search, documents: deps.documents, authenticate, ...(metrics === undefined ? {} : { metrics }) });
  }
  if (deps.audit !== undefined) await app.register(auditRoutes, { prefix: '/api/v1', audit: deps.audit, authenticate });
  if (deps.resumableUploads !== undefined) await app.register(resumableUploadRoutes, { prefix: '/api/v1', uploads: deps.resumableUploads, authenticate });
  if (deps.handover !== undefined) await app.register(handoverRoutes, { prefix: '/api/v1', handover: deps.handover, authenticate });
  registerConsoleRoutes(app, deps.console);

  if (deps.signer !== undefined) {
    const signer = deps.signer;
    app.route({
      method: ['GET', 'HEAD', 'PUT'],
      url: `${LOCAL_SIGNED_LINK_PATH}/:token`,
      schema: { summary: 'A signed link (local storage): no token needed', tags: ['documents'], params: z.object({ token: z.string().max(4096) }) },
      handler: async (request, reply) => {
        hijackKeepingHeaders(reply);
        const origin = { requestId: request.id, clientAddress: request.ip, ...(typeof request.headers['user-agent'] === 'string' ? { userAgent: request.headers['user-agent'] } : {}) };
        // Each use of a document's link is recorded (the document found from the link's key).
        const recordUse = (key: string, read: ContentRead) => deps.documents.reads.linkUsed(key, origin, read);
        await serveSignedLink({ signer, storage: deps.storage, recordUse, ...integrity }, request.params.token, request.raw, reply.raw);
      },
    });
    // The signed PUT body is streamed by the handler itself.
    app.addContentTypeParser('*', (request, payload, done) => {
      if (request.url.startsWith(`${LOCAL_SIGNED_LINK_PATH}/`)) done(null, undefined);
      else done(Object.assign(new Error(`Unsupported media type: ${request.headers['content-type'] ?? ''}`), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), undefined);
    });
  }

  app.get('/health/live', { schema: { tags: ['health'], response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));
  app.get(
    '/health/ready',
    { schema: { tags: ['health'], response: { 200: z.object({ status: z.literal('ready'), database: z.literal('ok'), storage: z.literal('ok') }), 503: problemSchema } } },
    async () => {
      // Both probes at once, each bounded: a frozen database or storage answers 503, not never.
      const timeoutMs = (deps.healthCheckTimeoutSeconds ?? 3) * 1000;
      const [database, storage] = await Promise.allSettled([
        withDeadline(sql`select 1`.execute(deps.db), timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`)).catch((error: unknown) => {
          throw error instanceof DatabaseUnavailable ? error : new DatabaseUnavailable(error);
        }),
        withDeadline(deps.storage.check(), timeoutMs, () => StorageUnavailable.because(`the storage did not answer within ${timeoutMs} ms`)),
      ]);
      if (database.status === 'rejected') throw database.reason;
      if (storage.status === 'rejected') throw storage.reason;
      return { status: 'ready' as const, database: 'ok' as const, storage: 'ok' as const };
    },
  );
  return app;
}
