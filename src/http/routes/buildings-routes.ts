import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Principal } from '../../shared/principal.js';
import { ROLES } from '../../shared/principal.js';
import { buildingPatchSchema, createBuildingSchema } from '../../buildings/building-input.js';
import type { Database } from '../../db/database.js';
import { trashUsage, type BuildingCatalog } from '../../documents/building-catalog.js';
import { DOCUMENT_TYPES } from '../../shared/document.js';
import { assertSuperadmin } from '../../documents/document-authorization.js';
import type { DocumentService } from '../../documents/document-service.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import { toProblem } from '../problem-details.js';
import { errorResponses, problemSchema } from '../schemas.js';

export interface BuildingsRoutesOptions {
  buildings: BuildingCatalog;
  documents: DocumentService;
  db: Kysely<Database>;
  storage: ObjectStorage;
  maxUploadBytes: number;
  /** MIME types an upload may have, so that clients check a file before sending it. */
  allowedMimeTypes: readonly string[];
  /** Days a deleted document stays in the trash before the purge removes it, told to clients so they can say when. */
  trashDays: number;
  authenticate: (request: FastifyRequest) => Promise<Principal>;
}

const security = [{ bearerAuth: [] }];
const usage = z.object({ count: z.number().int(), bytes: z.number().int() });

const buildingSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    name: z.string().describe('Empty for a building registered by the migration of an older database, until named'),
    address: z.object({ street: z.string().nullable(), postalCode: z.string().nullable(), city: z.string().nullable(), country: z.string() }),
    externalReference: z.string().nullable(),
    financialYearEnd: z.object({ month: z.number().int(), day: z.number().int() }),
    createdAt: z.string(),
    updatedAt: z.string(),
    documents: usage.describe('Live documents'),
    trash: usage.describe('Documents in the trash'),
    permissions: z.object({
      read: z.boolean(),
      upload: z.boolean(),
      edit: z.boolean(),
      delete: z.boolean(),
      restore: z.boolean(),
      trash: z.boolean(),
      uploadTypes: z.array(z.enum(DOCUMENT_TYPES)),
      manage: z.boolean().describe('Rename the building, change its address or financial-year end'),
    }),
  })
  .describe('Building');

const buildingIdParams = z.object({ id: z.string().uuid() });

const meSchema = z.object({
  userId: z.string(),
  organizationId: z.string(),
  role: z.enum(ROLES),
  buildingIds: z.array(z.string()),
  limits: z.object({
    maxUploadBytes: z.number().int(),
    allowedMimeTypes: z.array(z.string()).describe('Types an upload may have, as decided from its first bytes (the console checks before sending; the API decides)'),
    trashDays: z.number().int().describe('Days a deleted document stays in the trash before the purge removes it (one under retention or legal hold stays until neither applies)'),
  }),
});

const componentStatus = z.object({ status: z.enum(['ok', 'unavailable']), code: z.string().optional() });

const overviewSchema = z.object({
  storage: componentStatus.extend({ backend: z.string() }),
  database: componentStatus,
  documents: z.object({ byType: z.array(usage.extend({ type: z.string() })), total: usage, trash: usage }),
  limits: z.object({ maxUploadBytes: z.number().int() }),
});

/** `/api/v1` routes about the caller, its buildings and (superadmins) the whole store. */
export async function buildingsRoutes(app: FastifyInstance, options: BuildingsRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { authenticate } = options;

  api.get(
    '/me',
    { schema: { summary: 'Who the token says the caller is, and the upload limits', tags: ['buildings'], security, response: { 200: meSchema, ...errorResponses } } },
    async (request) => {
      const principal = await authenticate(request);
      return { ...principal, buildingIds: [...principal.buildingIds], limits: { maxUploadBytes: options.maxUploadBytes, allowedMimeTypes: [...options.allowedMimeTypes], trashDays: options.trashDays } };
    },
  );

  api.get(
    '/buildings',
    {
      schema: {
        summary: 'The registered buildings the caller may see, by name (case and accents ignored; unnamed first), with live and trashed documents’ counts and bytes',
        tags: ['buildings'],
        security,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.string().max(1000).optional() }),
        response: { 200: z.object({ items: z.array(buildingSchema), nextCursor: z.string().nullable() }), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return options.buildings.list(await authenticate(request), cursor === undefined ? { limit } : { limit, cursor });
    },
  );

  api.post(
    '/buildings',
    {
      schema: {
        summary: 'Syndics and superadmins: register a building (uploads go only into registered buildings)',
        tags: ['buildings'],
        security,
        body: createBuildingSchema,
        response: { 201: buildingSchema, ...errorResponses, 409: problemSchema },
      },
    },
    async (request, reply) => {
      const building = await options.buildings.create(await authenticate(request), request.body);
      return reply.code(201).header('location', `/api/v1/buildings/${building.id}`).send(building);
    },
  );

  api.get(
    '/buildings/:id',
    { schema: { summary: 'One building the caller may see', tags: ['buildings'], security, params: buildingIdParams, response: { 200: buildingSchema, ...errorResponses } } },
    async (request) => options.buildings.get(await authenticate(request), request.params.id),
  );

  api.patch(
    '/buildings/:id',
    {
      schema: {
        summary: 'Syndics and superadmins: rename a building, change its address, reference or financial-year end',
        tags: ['buildings'],
        security,
        params: buildingIdParams,
        body: buildingPatchSchema,
        response: { 200: buildingSchema, ...errorResponses },
      },
    },
    async (request) => options.buildings.update(await authenticate(request), request.params.id, request.body),
  );

  api.get(
    '/admin/overview',
    {
      schema: {
        summary: 'Superadmins: storage backend, health, documents’ counts and bytes by type (every organisation)',
        tags: ['admin'],
        security,
        response: { 200: overviewSchema, ...errorResponses },
      },
    },
    async (request) => {
      assertSuperadmin(await authenticate(request), 'the storage overview');
      const [database, storage] = await Promise.all([
        probe(() => sql`select 1`.execute(options.db)),
        probe(() => options.storage.check()),
      ]);
      const [byType, trash] = database.status === 'ok' ? await Promise.all([options.documents.statistics(), trashUsage(options.db)]) : [[], { count: 0, bytes: 0 }];
      const total = byType.reduce((sum, row) => ({ count: sum.count + row.count, bytes: sum.bytes + row.bytes }), { count: 0, bytes: 0 });
      return {
        storage: { backend: options.storage.name, ...storage },
        database,
        documents: { byType, total, trash },
        limits: { maxUploadBytes: options.maxUploadBytes },
      };
    },
  );
}

/** A component's health: ok, or unavailable with the stable code of what failed. */
async function probe(check: () => Promise<unknown>): Promise<{ status: 'ok' | 'unavailable'; code?: string }> {
  try {
    await check();
    return { status: 'ok' };
  } catch (error) {
    return { status: 'unavailable', code: toProblem(error, '').code };
  }
}
