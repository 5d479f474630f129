import { sql, type ExpressionBuilder, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../../db/database.js';
import type { AuditAction, AuditOutcome } from '../audit-actions.js';
import type { AuditEntryRow } from '../audit.table.js';
import { OWNER_VISIBLE_CHANGES, type AuditView } from './audit-view.js';

/** What a caller narrows the trail to, on top of its view. */
export interface AuditFilter {
  buildingId?: string;
  documentId?: string;
  /** The actor's subject (a token's `sub`, an operator's name, a job's name). */
  actor?: string;
  action?: AuditAction;
  outcome?: AuditOutcome;
  /** Entries recorded at or after this instant (ISO-8601 UTC). */
  from?: string;
  /** Entries recorded before this instant (ISO-8601 UTC): the period is [from, to). */
  to?: string;
}

/** `newest_first` for pages (the API), `oldest_first` for exports (the chain's order). */
export type AuditOrder = 'newest_first' | 'oldest_first';

export interface AuditPageRequest {
  order: AuditOrder;
  /** The last id of the previous page: the page starts just past it. */
  afterId?: number;
  limit: number;
}

type Builder = ExpressionBuilder<Database, 'audit_entries'>;

/**
 * The view as a condition: the caller's own entries, or the entries of its buildings (and kinds).
 * Part of the query, so that nothing outside the view leaves the database.
 */
function viewCondition(eb: Builder, view: AuditView): Expression<SqlBool> | undefined {
  const scoped: Array<Expression<SqlBool>> = [];
  if (view.buildingIds !== null) scoped.push(view.buildingIds.length === 0 ? sql<SqlBool>`1 = 0` : eb('building_id', 'in', [...view.buildingIds]));
  if (view.entries === 'changes') scoped.push(eb('action', 'in', [...OWNER_VISIBLE_CHANGES]));
  if (view.entries === 'documents') {
    const documents = eb
      .selectFrom('documents')
      .select('documents.id')
      .where('documents.organization_id', '=', view.organizationId)
      .where('documents.type', 'in', view.documentTypes.length === 0 ? [''] : [...view.documentTypes]);
    scoped.push(eb('document_id', 'in', documents));
  }
  if (scoped.length === 0) return undefined;
  const own = eb.and([eb('actor_kind', '=', 'user'), eb('actor_subject', '=', view.subject)]);
  return eb.or([own, eb.and(scoped)]);
}

/**
 * One page of the organisation's trail as `view` sees it, narrowed by `filter`, in id order
 * (recording order). Outside the view's origin, client address, user agent and request id are
 * selected as null: they never leave the database for that caller.
 */
export function pageOfAuditEntries(db: Kysely<Database>, view: AuditView, filter: AuditFilter, page: AuditPageRequest): Promise<AuditEntryRow[]> {
  const hidden = sql<string | null>`null`;
  const newest = page.order === 'newest_first';
  return db
    .selectFrom('audit_entries')
    .select([
      'id',
      'organization_id',
      'at',
      'actor_kind',
      'actor_subject',
      'actor_role',
      'action',
      'outcome',
      'building_id',
      'document_id',
      'version',
      'details',
      'chain_seq',
      'previous_hash',
      'entry_hash',
    ])
    .select((eb) =>
      view.origin
        ? [eb.ref('request_id').as('request_id'), eb.ref('client_address').as('client_address'), eb.ref('user_agent').as('user_agent')]
        : [hidden.as('request_id'), hidden.as('client_address'), hidden.as('user_agent')],
    )
    .where('organization_id', '=', view.organizationId)
    .where((eb) => viewCondition(eb, view) ?? sql<SqlBool>`1 = 1`)
    .$if(filter.buildingId !== undefined, (query) => query.where('building_id', '=', filter.buildingId as string))
    .$if(filter.documentId !== undefined, (query) => query.where('document_id', '=', filter.documentId as string))
    .$if(filter.actor !== undefined, (query) => query.where('actor_subject', '=', filter.actor as string))
    .$if(filter.action !== undefined, (query) => query.where('action', '=', filter.action as string))
    .$if(filter.outcome !== undefined, (query) => query.where('outcome', '=', filter.outcome as string))
    .$if(filter.from !== undefined, (query) => query.where('at', '>=', filter.from as string))
    .$if(filter.to !== undefined, (query) => query.where('at', '<', filter.to as string))
    .$if(page.afterId !== undefined, (query) => query.where('id', newest ? '<' : '>', page.afterId as number))
    .orderBy('id', newest ? 'desc' : 'asc')
    .limit(page.limit)
    .execute();
}

/**
 * Every entry `view` sees, oldest first, read `pageSize` at a time: memory holds one page however
 * long the trail (exports, the handover archive's trail).
 */
export async function* auditEntriesOf(db: Kysely<Database>, view: AuditView, filter: AuditFilter, pageSize = 500): AsyncGenerator<AuditEntryRow> {
  let afterId: number | undefined;
  for (;;) {
    const rows = await pageOfAuditEntries(db, view, filter, { order: 'oldest_first', limit: pageSize, ...(afterId === undefined ? {} : { afterId }) });
    yield* rows;
    if (rows.length < pageSize) return;
    afterId = Number(rows[rows.length - 1]?.id);
  }
}
