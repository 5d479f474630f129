import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ACTOR_KINDS, AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../../audit/audit-actions.js';
import { AUDIT_EXPORT_FORMATS } from '../../audit/query/audit-export-format.js';
import type { AuditQuery } from '../../audit/query/audit-query.js';
import { contentDisposition } from '../../shared/file-name.js';
import type { Principal } from '../../shared/principal.js';
import { errorResponses } from '../schemas.js';

export interface AuditRoutesOptions {
  audit: AuditQuery;
  authenticate: (request: FastifyRequest) => Promise<Principal>;
}

const security = [{ bearerAuth: [] }];

/** A day (00:00 UTC) or an ISO-8601 instant with its offset. */
const instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/, 'must be a date (YYYY-MM-DD, 00:00 UTC) or an ISO-8601 instant with its offset')
  .refine((value) => !Number.isNaN(Date.parse(value)), 'is not a valid date');

const organization = z.string().min(1).max(36).optional().describe('Superadmins: the organisation whose trail to read (`*`: the instance’s own actions). Default: the token’s');
const period = {
  from: instant.optional().describe('Entries recorded at or after (inclusive)'),
  to: instant.optional().describe('Entries recorded before (exclusive): the year 2026 is from=2026-01-01&to=2027-01-01'),
};

const listQuery = z.object({
  organization,
  building: z.string().min(1).max(100).optional(),
  document: z.string().min(1).max(100).optional(),
  actor: z.string().min(1).max(255).optional().describe('The actor’s subject: a token’s `sub`, an operator’s name, a job’s name'),
  action: z.enum(AUDIT_ACTIONS).optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  ...period,
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional().describe('`nextCursor` of the previous page, with the same filters'),
});

const exportQuery = z.object({
  organization,
  building: z.string().min(1).max(100),
  ...period,
  format: z.enum(AUDIT_EXPORT_FORMATS).default('csv').describe('csv: UTF-8 with BOM, CRLF, formula-safe cells; jsonl: one JSON object per line'),
});

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    organizationId: z.string(),
    at: z.string().describe('ISO-8601 UTC'),
    actor: z.object({ kind: z.enum(ACTOR_KINDS), subject: z.string().nullable(), role: z.string().nullable() }),
    action: z.enum(AUDIT_ACTIONS),
    outcome: z.enum(AUDIT_OUTCOMES),
    buildingId: z.string().nullable(),
    documentId: z.string().nullable(),
    version: z.number().int().nullable(),
    requestId: z.string().nullable().describe('Null outside syndics’ and superadmins’ views'),
    clientAddress: z.string().nullable().describe('Null outside syndics’ and superadmins’ views'),
    userAgent: z.string().nullable().describe('Null outside syndics’ and superadmins’ views'),
    details: z.record(z.string(), z.unknown()).nullable().describe('What changed (`changes: { field: { from, to } }`), the range read, a reason…'),
    chainSeq: z.number().int().nullable().describe('Position in the organisation’s hash chain; null until sealed (within a second)'),
    entryHash: z.string().nullable(),
  })
  .describe('AuditEntry');

/** `/api/v1` routes that read the audit trail (docs/audit.md). */
export async function auditRoutes(app: FastifyInstance, options: AuditRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { audit, authenticate } = options;

  api.get(
    '/audit',
    {
      schema: {
        summary: 'The audit trail as the caller’s role may see it (docs/audit.md, "Who sees what"), newest first, in cursor pages',
        tags: ['audit'],
        security,
        querystring: listQuery,
        response: { 200: z.object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() }), ...errorResponses },
      },
    },
    async (request) => {
      const { organization: organizationId, building, document, actor, action, outcome, from, to, limit, cursor } = request.query;
      const defined = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
      return audit.list(await authenticate(request), {
        limit,
        ...defined('organizationId', organizationId),
        ...defined('buildingId', building),
        ...defined('documentId', document),
        ...defined('actor', actor),
        ...defined('action', action),
        ...defined('outcome', outcome),
        ...defined('from', from),
        ...defined('to', to),
        ...defined('cursor', cursor),
      });
    },
  );

  api.get(
    '/audit/export',
    {
      schema: {
        summary: 'Syndics, superadmins and board members: a building’s trail over a period as CSV or JSON Lines, oldest first, streamed (the export is itself recorded)',
        tags: ['audit'],
        security,
        querystring: exportQuery,
        response: { 200: z.string().describe('CSV (text/csv) or JSON Lines (application/jsonl), with chain_seq and entry_hash'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { organization: organizationId, building, from, to, format } = request.query;
      const exported = await audit.export(await authenticate(request), {
        buildingId: building,
        format,
        ...(organizationId === undefined ? {} : { organizationId }),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
      });
      return reply
        .type(exported.contentType)
        .header('content-disposition', contentDisposition(exported.fileName)).header('cache-control', 'no-store')
        // A stream is sent as it is read (the 200 schema documents its text; Fastify serialises no stream).
        .send(exported.body as never);
    },
  );
}
