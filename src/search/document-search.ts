import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/database.js';
import type { DocumentRow } from '../documents/documents.table.js';
import { limitedToTokenBuildings } from '../shared/building-permissions.js';
import type { DocumentType } from '../shared/document.js';
import type { Principal } from '../shared/principal.js';
import { dialectOf } from './search-index.js';
import { toFts5, toTsquery, type SearchQuery } from './search-query.js';

/** What narrows a search, besides the caller's rights. */
export interface SearchFilters {
  buildingId?: string;
  type?: DocumentType;
  /** YYYY-MM-DD: documents dated on or after. */
  from?: string;
  /** YYYY-MM-DD: documents dated on or before. */
  to?: string;
}

/** A page of ranked matches and how many there are in all (under the same rights and filters). */
export interface SearchMatches {
  rows: DocumentRow[];
  total: number;
}

/**
 * Runs a query against the index with the caller's rights inside the SQL itself: only live
 * documents of the caller's organisation (a superadmin: every organisation), and for a board
 * member or owner only the buildings of its token. Nothing outside is matched, counted or ranked.
 * Ranked best first: a title match before a body-only match, then by relevance (FTS5 bm25 with
 * the title weighing 100 times the body; PostgreSQL ts_rank), then by id.
 */
export async function searchDocuments(db: Kysely<Database>, principal: Principal, query: SearchQuery, filters: SearchFilters, page: { limit: number; offset: number }): Promise<SearchMatches> {
  const conditions: RawBuilder<unknown>[] = [sql`d.deleted_at is null`];
  if (principal.role !== 'superadmin') conditions.push(sql`d.organization_id = ${principal.organizationId}`);
  if (limitedToTokenBuildings(principal)) {
    conditions.push(principal.buildingIds.length === 0 ? sql`1 = 0` : sql`d.building_id in (${sql.join([...principal.buildingIds])})`);
  }
  if (filters.buildingId !== undefined) conditions.push(sql`d.building_id = ${filters.buildingId}`);
  if (filters.type !== undefined) conditions.push(sql`d.type = ${filters.type}`);
  if (filters.from !== undefined) conditions.push(sql`d.document_date >= ${filters.from}`);
  if (filters.to !== undefined) conditions.push(sql`d.document_date <= ${filters.to}`);
  const where = sql.join(conditions, sql` and `);
  if (dialectOf(db) === 'postgres') {
    const from = sql`from search_entries e join documents d on d.id = e.document_id cross join to_tsquery('simple', ${toTsquery(query)}) q where e.tsv @@ q and ${where}`;
    const [rows, count] = await Promise.all([
      sql<DocumentRow>`select d.* ${from} order by (ts_filter(e.tsv, '{a}') @@ q) desc, ts_rank(e.tsv, q) desc, d.id limit ${page.limit} offset ${page.offset}`.execute(db),
      sql<{ total: string | number }>`select count(*) as total ${from}`.execute(db),
    ]);
    return { rows: rows.rows, total: Number(count.rows[0]?.total ?? 0) };
  }
  const from = sql`from search_fts f join search_entries e on e.id = f.rowid join documents d on d.id = e.document_id where search_fts match ${toFts5(query)} and ${where}`;
  const rows = await sql<DocumentRow>`select d.* ${from} order by bm25(search_fts, 100.0, 1.0), d.id limit ${page.limit} offset ${page.offset}`.execute(db);
  const count = await sql<{ total: number }>`select count(*) as total ${from}`.execute(db);
  return { rows: rows.rows, total: Number(count.rows[0]?.total ?? 0) };
}
