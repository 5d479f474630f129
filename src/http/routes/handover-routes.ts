import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HandoverService } from '../../handover/handover-service.js';
import type { Principal } from '../../shared/principal.js';
import { buildingParams, errorResponses, problemSchema } from '../schemas.js';

export interface HandoverRoutesOptions {
  handover: HandoverService;
  authenticate: (request: FastifyRequest) => Promise<Principal>;
}

const security = [{ bearerAuth: [] }];

const exportJobSchema = z
  .object({
    id: z.string(),
    buildingId: z.string(),
    status: z.enum(['running', 'ready', 'failed']),
    includeTrash: z.boolean(),
    requestedBy: z.string(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    fileName: z.string().nullable(),
    size: z.number().int().nullable().describe('Bytes of the archive, once ready'),
    sha256: z.string().nullable().describe('SHA-256 of the whole archive file, once ready'),
    documents: z.number().int().nullable(),
    versions: z.number().int().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable().describe('Why a failed export failed (handover.document_damaged: a damaged document)'),
  })
  .describe('ExportJob');

const exportParams = buildingParams.extend({ exportId: z.string().uuid() });

/** `/api/v1` routes of the change of syndic: export jobs of a building, their download links, and transfers. */
export async function handoverRoutes(app: FastifyInstance, options: HandoverRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { handover, authenticate } = options;

  api.post(
    '/buildings/:buildingId/exports',
    {
      schema: {
        summary: 'Syndics and superadmins: start a signed export of the building’s whole archive (docs/handover.md); poll the job, then ask for its download link',
        tags: ['handover'],
        security,
        params: buildingParams,
        body: z.object({ includeTrash: z.boolean().default(false) }).default({ includeTrash: false }),
        response: { 202: exportJobSchema, ...errorResponses, 409: problemSchema },
      },
    },
    async (request, reply) => {
      const job = await handover.jobs.start(await authenticate(request), request.params.buildingId, { includeTrash: request.body?.includeTrash ?? false });
      return reply.code(202).header('location', `/api/v1/buildings/${job.buildingId}/exports/${job.id}`).send(job);
    },
  );

  api.get(
    '/buildings/:buildingId/exports',
    { schema: { summary: 'The building’s exports, newest first (50)', tags: ['handover'], security, params: buildingParams, response: { 200: z.object({ items: z.array(exportJobSchema) }), ...errorResponses } } },
    async (request) => ({ items: await handover.jobs.list(await authenticate(request), request.params.buildingId) }),
  );

  api.get(
    '/buildings/:buildingId/exports/:exportId',
    { schema: { summary: 'One export job', tags: ['handover'], security, params: exportParams, response: { 200: exportJobSchema, ...errorResponses } } },
    async (request) => handover.jobs.get(await authenticate(request), request.params.buildingId, request.params.exportId),
  );

  api.post(
    '/buildings/:buildingId/exports/:exportId/download-url',
    {
      schema: {
        summary: 'A time-limited link to a ready export’s archive (streamed from the storage)',
        tags: ['handover'],
        security,
        params: exportParams,
        body: z.object({ expiresInSeconds: z.number().int().min(1).max(86_400).default(3600) }).default({ expiresInSeconds: 3600 }),
        response: { 200: z.object({ url: z.string(), expiresAt: z.string() }), ...errorResponses, 409: problemSchema },
      },
    },
    async (request) => handover.jobs.downloadUrl(await authenticate(request), request.params.buildingId, request.params.exportId, request.body?.expiresInSeconds ?? 3600),
  );

  api.delete(
    '/buildings/:buildingId/exports/:exportId',
    {
      schema: {
        summary: 'Remove a finished export and its archive (archives stay in the storage until removed)',
        tags: ['handover'],
        security,
        params: exportParams,
        response: { 204: z.void().describe('Removed'), ...errorResponses, 409: problemSchema },
      },
    },
    async (request, reply) => {
      await handover.jobs.remove(await authenticate(request), request.params.buildingId, request.params.exportId);
      return reply.code(204).send(undefined);
    },
  );

  api.get(
    '/organizations/:organizationId/handover-key',
    {
      schema: {
        summary: 'Syndics of the organisation and superadmins: the public key its exports are signed with (armored), to give to whoever receives them',
        tags: ['handover'],
        security,
        params: z.object({ organizationId: z.string().min(1).max(36) }),
        response: { 200: z.object({ fingerprint: z.string(), publicKey: z.string() }), ...errorResponses, 409: problemSchema },
      },
    },
    async (request) => handover.publicKeyFor(await authenticate(request), request.params.organizationId),
  );

  api.post(
    '/buildings/:buildingId/transfer',
    {
      schema: {
        summary: 'Superadmins: move the building and all its documents to another organisation of this installation (no bytes copied); the old organisation loses access at once',
        tags: ['handover'],
        security,
        params: buildingParams,
        body: z.object({ organizationId: z.string().min(1).max(36) }),
        response: {
          200: z.object({ buildingId: z.string(), fromOrganizationId: z.string(), toOrganizationId: z.string(), documents: z.number().int(), retentionsKept: z.number().int() }),
          ...errorResponses,
          409: problemSchema,
        },
      },
    },
    async (request) => handover.transfer.transfer(await authenticate(request), request.params.buildingId, request.body.organizationId),
  );
}
