import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Principal } from '../../shared/principal.js';
import { actorOf, type AuditEntry } from '../audit-entry.js';
import { AuditError } from '../audit-errors.js';
import type { AuditLog } from '../audit-log.js';
import { toAuditEntry } from '../audit-mapping.js';
import { auditCursorScope, decodeAuditCursor, encodeAuditCursor } from './audit-cursor.js';
import { AUDIT_EXPORT_CONTENT_TYPES, auditExportLines, type AuditExportFormat } from './audit-export-format.js';
import { auditEntriesOf, pageOfAuditEntries, type AuditFilter } from './audit-repository.js';
import { assertBuildingInView, assertMayExport, auditViewFor } from './audit-view.js';

/** A page request of `GET /api/v1/audit`: filters as given (instants or dates), a limit, a cursor. */
export interface AuditListRequest extends AuditFilter {
  /** Superadmins: the organisation whose trail to read (`*`: the instance's). @default the token's */
  organizationId?: string;
  limit: number;
  cursor?: string;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

/** An export request: one building, a period, a format. */
export interface AuditExportRequest {
  organizationId?: string;
  buildingId: string;
  from?: string;
  to?: string;
  format: AuditExportFormat;
}

/** An export ready to stream: its text is read from the database page by page as the body is read. */
export interface AuditExport {
  fileName: string;
  contentType: string;
  body: Readable;
}

export interface AuditQueryOptions {
  db: Kysely<Database>;
  /** Records exports (`audit.export`) and a superadmin's reading of another organisation (`audit.read`). */
  log: AuditLog;
  /** Links pending entries before an export, so that every exported entry has its `chain_seq` and hash. */
  sealer?: { seal(): Promise<number> };
  /** Entries read from the database at a time by an export. @default 500 */
  exportPageSize?: number;
}

/**
 * Reading the audit trail: pages newest first, and streamed exports oldest first, both through the
 * caller's view (`audit-view.ts`) applied in the query itself.
 */
export class AuditQuery {
  constructor(private readonly options: AuditQueryOptions) {}

  async list(principal: Principal, request: AuditListRequest): Promise<AuditPage> {
    const view = auditViewFor(principal, request.organizationId);
    const filter = normalizedFilter(request);
    if (filter.buildingId !== undefined) assertBuildingInView(principal, filter.buildingId);
    const scope = auditCursorScope(view.organizationId, filter);
    const afterId = request.cursor === undefined ? undefined : decodeAuditCursor(request.cursor, scope);
    // A superadmin reading another organisation's trail is recorded there, once per listing (its first page).
    if (afterId === undefined && view.organizationId !== principal.organizationId) {
      await this.options.log.record(this.options.db, {
        action: 'audit.read',
        actor: actorOf(principal),
        organizationId: view.organizationId,
        buildingId: filter.buildingId ?? null,
        documentId: filter.documentId ?? null,
        details: { filter },
      });
    }
    const rows = await pageOfAuditEntries(this.options.db, view, filter, { order: 'newest_first', limit: request.limit + 1, ...(afterId === undefined ? {} : { afterId }) });
    const items = rows.slice(0, request.limit).map(toAuditEntry);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > request.limit && last !== undefined ? encodeAuditCursor(scope, last.id) : null };
  }

  /**
   * Records the export (`audit.export`, in the building's organisation's trail) before any entry is
   * read, links pending entries, then returns the body: a stream that reads the next page of
   * entries only when the previous one has been sent.
   */
  async export(principal: Principal, request: AuditExportRequest): Promise<AuditExport> {
    const view = auditViewFor(principal, request.organizationId);
    assertMayExport(principal, request.buildingId);
    const filter = normalizedFilter({ buildingId: request.buildingId, ...(request.from === undefined ? {} : { from: request.from }), ...(request.to === undefined ? {} : { to: request.to }) });
    await this.options.log.record(this.options.db, {
      action: 'audit.export',
      actor: actorOf(principal),
      organizationId: view.organizationId,
      buildingId: request.buildingId,
      details: { format: request.format, from: filter.from ?? null, to: filter.to ?? null, addresses: view.origin },
    });
    await this.options.sealer?.seal();
    const rows = auditEntriesOf(this.options.db, view, filter, this.options.exportPageSize);
    return {
      fileName: exportFileName(request.buildingId, filter, request.format),
      contentType: AUDIT_EXPORT_CONTENT_TYPES[request.format],
      body: Readable.from(auditExportLines(rows, request.format)),
    };
  }
}

/** Instants (or dates, meaning 00:00 UTC) as ISO-8601 UTC; `from` must come before `to`. */
function normalizedFilter(request: AuditFilter): AuditFilter {
  const filter: AuditFilter = {};
  for (const key of ['buildingId', 'documentId', 'actor', 'action', 'outcome'] as const) {
    if (request[key] !== undefined) Object.assign(filter, { [key]: request[key] });
  }
  if (request.from !== undefined) filter.from = instant('from', request.from);
  if (request.to !== undefined) filter.to = instant('to', request.to);
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) throw AuditError.invalidQuery('from', `must come before to (${filter.from} ≥ ${filter.to})`);
  return filter;
}

function instant(field: string, value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw AuditError.invalidQuery(field, `${JSON.stringify(value)} is not a date or an ISO-8601 instant`);
  return new Date(time).toISOString();
}

/** `audit-<building>-<from>-<to>.<format>`, days in UTC; `start` and `now` where the period is open. */
function exportFileName(buildingId: string, filter: AuditFilter, format: AuditExportFormat): string {
  const day = (value: string | undefined, open: string) => (value === undefined ? open : value.slice(0, 10));
  const safeBuilding = buildingId.replace(/[^A-Za-z0-9._-]/g, '_');
  return `audit-${safeBuilding}-${day(filter.from, 'start')}-${day(filter.to, 'now')}.${format}`;
}
