import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/database.js';
import type { DocumentRow } from '../documents/documents.table.js';
import { limitedToTokenBuildings } from '../shared/building-permissions.js';
import type { DocumentType } from '../shared/document.js';
import type { Principal } from '../shared/principal.js';
import { dialectOf, scopeToken } from './search-index.js';
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
  /** Matches in all, counted up to `TOTAL_CAP` (or past the page asked for, if further). */
  total: number;
  /** True when there are more matches than `total` (the count stopped at its cap: "1,000+"). */
  totalCapped: boolean;
}

/** Matches are counted up to this many: past it a total says "at least" (counting every match of a frequent word costs more than the page). */
export const TOTAL_CAP = 1000;

/**
 * Runs a query against the index with the caller's rights inside the SQL itself: only live
 * documents of the caller's organisation (a superadmin: every organisation), and for a board
 * member or owner only the buildings of its token. Nothing outside is matched, counted or ranked.
 * The index itself matches only within the caller's buildings (their scope tokens), so that the
 * join, the ranking and the count touch only what the caller may see. Ranked best first: a title
 * match before a body-only match, then by relevance (FTS5 bm25 with the title weighing 100 times
 * the body and the scope nothing; PostgreSQL ts_rank of the query without the scope), then by id.
 * Only the ids and scores are sorted; the page's rows are read after. The total is counted apart (`totalOf`).
 */
export async function searchDocuments(db: Kysely<Database>, principal: Principal, query: SearchQuery, filters: SearchFilters, page: { limit: number; offset: number }, totalCap = TOTAL_CAP): Promise<SearchMatches> {
  const conditions: RawBuilder<unknown>[] = [sql`d.deleted_at is null`];
  if (principal.role !== 'superadmin') conditions.push(sql`d.organization_id = ${principal.organizationId}`);
  if (limitedToTokenBuildings(principal)) {
    if (principal.buildingIds.length === 0) return { rows: [], total: 0, totalCapped: false };
    conditions.push(sql`d.building_id in (${sql.join([...principal.buildingIds])})`);
  }
  if (filters.buildingId !== undefined) conditions.push(sql`d.building_id = ${filters.buildingId}`);
  if (filters.type !== undefined) conditions.push(sql`d.type = ${filters.type}`);
  if (filters.from !== undefined) conditions.push(sql`d.document_date >= ${filters.from}`);
  if (filters.to !== undefined) conditions.push(sql`d.document_date <= ${filters.to}`);
  const where = sql.join(conditions, sql` and `);
  const scope = await scopeOf(db, principal, filters);
  if (dialectOf(db) === 'postgres') {
    const from = sql`from search_entries e join documents d on d.id = e.document_id cross join to_tsquery('simple', ${toTsquery(query, scope)}) q cross join to_tsquery('simple', ${toTsquery(query)}) qu cross join to_tsquery('simple', ${toTsquery(query, undefined, true)}) qa where e.tsv @@ q and ${where}`;
    const ranked = sql`select d.id, (e.tsv @@ qa) as in_title, ts_rank(e.tsv, qu) as score ${from} order by in_title desc, score desc, d.id limit ${page.limit} offset ${page.offset}`;
    // The count runs beside the page, on another connection of the pool.
    const [rows, total] = await Promise.all([
      sql<DocumentRow>`select d.* from (${ranked}) top join documents d on d.id = top.id order by top.in_title desc, top.score desc, top.id`.execute(db),
      countOf(db, from, page, totalCap),
    ]);
    return { rows: rows.rows, ...total };
  }
  const from = sql`from search_fts f join search_entries e on e.id = f.rowid join documents d on d.id = e.document_id where search_fts match ${toFts5(query, scope)} and ${where}`;
  const ranked = sql`select d.id as id, bm25(search_fts, 100.0, 1.0, 0.0) as score ${from} order by score, d.id limit ${page.limit} offset ${page.offset}`;
  const rows = await sql<DocumentRow>`select d.* from (${ranked}) top join documents d on d.id = top.id order by top.score, top.id`.execute(db);
  return { rows: rows.rows, ...(await totalOf(db, from, page, rows.rows.length, totalCap)) };
}

/**
 * How many matches there are, under the same rights and filters (`from`): none counted when the
 * page is the last (a short page that is not empty: its end is the total); else `countOf`.
 */
async function totalOf(db: Kysely<Database>, from: RawBuilder<unknown>, page: { limit: number; offset: number }, found: number, totalCap: number): Promise<{ total: number; totalCapped: boolean }> {
  if (found > 0 && found < page.limit) return { total: page.offset + found, totalCapped: false };
  return countOf(db, from, page, totalCap);
}

/** Matches counted up to `totalCap` (`TOTAL_CAP`), or just past the page asked for if further, so that a cursor still knows there is more. */
async function countOf(db: Kysely<Database>, from: RawBuilder<unknown>, page: { limit: number; offset: number }, totalCap: number): Promise<{ total: number; totalCapped: boolean }> {
  const cap = Math.max(totalCap, page.offset + page.limit);
  const count = await sql<{ total: string | number }>`select count(*) as total from (select 1 as one ${from} limit ${cap + 1}) capped`.execute(db);
  const total = Number(count.rows[0]?.total ?? 0);
  return total > cap ? { total: cap, totalCapped: true } : { total, totalCapped: false };
}

/** Above this many buildings the scope is left to the SQL filter alone (a query of that many words costs more than it saves). */
const MAX_SCOPE_BUILDINGS = 500;

/**
 * The scope tokens of the buildings the caller may search (`SearchIndex` writes each entry's), so
 * that the index matches only there: the building filtered on, a board member's or owner's token
 * buildings, else the organisation's buildings. Undefined (no narrowing): a superadmin, or an
 * organisation of more than 500 buildings. The SQL filter applies in every case.
 */
async function scopeOf(db: Kysely<Database>, principal: Principal, filters: SearchFilters): Promise<string[] | undefined> {
  if (filters.buildingId !== undefined) return [scopeToken(filters.buildingId)];
  if (limitedToTokenBuildings(principal)) return principal.buildingIds.map(scopeToken);
  if (principal.role === 'superadmin') return undefined;
  const buildings = await db.selectFrom('buildings').select('id').where('organization_id', '=', principal.organizationId).limit(MAX_SCOPE_BUILDINGS + 1).execute();
  if (buildings.length > MAX_SCOPE_BUILDINGS) return undefined;
  // An organisation without buildings has nothing to find (a token no entry holds keeps the query valid).
  return buildings.length === 0 ? ['zbnone'] : buildings.map((building) => scopeToken(building.id));
}
