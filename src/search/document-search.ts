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
 * ranking and the count touch only what the caller may see. Ranked best first: a title match
 * before a body-only match, then by relevance (FTS5 bm25 with the title weighing 100 times the
 * body and the scope nothing; PostgreSQL ts_rank of the query without the scope), ties by index
 * entry. How the page is read differs by database (`sqlitePage`, `postgresPage`); the total is
 * counted apart (`totalOf`).
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
  if (dialectOf(db) === 'postgres') return postgresPage(db, query, scope, where, page, totalCap, scope !== undefined ? !limitedToTokenBuildings(principal) && filters.buildingId === undefined : principal.role === 'superadmin');
  return sqlitePage(db, query, scope, where, page, totalCap);
}

/**
 * SQLite: FTS5 ranks its matches itself (`ORDER BY rank` with bm25 as the rank function, a sort of
 * rowids and scores inside the index), and the outer loop reads each in that order against
 * `search_entries` and `documents` with the filter, stopping when the page is full. Ordering by
 * `bm25(…)` instead made SQLite join every match to its document before sorting.
 */
async function sqlitePage(db: Kysely<Database>, query: SearchQuery, scope: string[] | undefined, where: RawBuilder<unknown>, page: { limit: number; offset: number }, totalCap: number): Promise<SearchMatches> {
  const from = sql`from search_fts f join search_entries e on e.id = f.rowid join documents d on d.id = e.document_id where search_fts match ${toFts5(query, scope)} and ${where}`;
  const rows = await sql<DocumentRow>`select d.* ${from} and f.rank match 'bm25(100.0, 1.0, 0.0)' order by f.rank limit ${page.limit} offset ${page.offset}`.execute(db);
  return { rows: rows.rows, ...(await totalOf(db, from, page, rows.rows.length, totalCap)) };
}

/**
 * PostgreSQL, two forms. Across an organisation (`wide`: a syndic or accountant without a building
 * filter, a superadmin), the GIN index's matches are ranked on `search_entries` alone (entry,
 * document id, title match, ts_rank: a sort of small tuples), then each is joined laterally to its
 * document with the filter, in that order, until the page is full; the transaction forbids the
 * sequential scan (for a word in most of the caller's documents the planner preferred reading
 * every organisation's entries, ten times slower) and JIT (whose compilation alone took longer than
 * a search). Within a few buildings (an owner, a board member, a building filter) or without scope
 * tokens (an organisation of more than 500 buildings, whose index matches take in other
 * organisations), every match is joined to its document before ranking and the planner chooses
 * (for a few buildings: their documents first, by building, then their entries). The count runs
 * beside the page on another connection of the pool.
 */
async function postgresPage(db: Kysely<Database>, query: SearchQuery, scope: string[] | undefined, where: RawBuilder<unknown>, page: { limit: number; offset: number }, totalCap: number, wide: boolean): Promise<SearchMatches> {
  const queries = sql`cross join to_tsquery('simple', ${toTsquery(query, scope)}) q cross join to_tsquery('simple', ${toTsquery(query)}) qu cross join to_tsquery('simple', ${toTsquery(query, undefined, true)}) qa`;
  // The page and the count run side by side, each on a connection of the pool (as before this form).
  if (!wide) {
    const from = sql`from search_entries e join documents d on d.id = e.document_id ${queries} where e.tsv @@ q and ${where}`;
    const ranked = sql`select d.id, e.id as entry, (e.tsv @@ qa) as in_title, ts_rank(e.tsv, qu) as score ${from} order by in_title desc, score desc, entry limit ${page.limit} offset ${page.offset}`;
    const [rows, total] = await Promise.all([sql<DocumentRow>`select d.* from (${ranked}) r join documents d on d.id = r.id order by r.in_title desc, r.score desc, r.entry`.execute(db), countOf(db, from, page, totalCap)]);
    return { rows: rows.rows, ...total };
  }
  // The subquery kept apart (offset 0) and sorted: its sort carries a few columns, not each entry's tsvector,
  // and the nested loop reads documents in its order; `limit 1` keeps the lateral lookup from becoming a hash join of every document.
  const matches = (columns: RawBuilder<unknown>, order: RawBuilder<unknown>) =>
    sql`from (select ${columns} from search_entries e ${queries} where e.tsv @@ q ${order} offset 0) r cross join lateral (select d.* from documents d where d.id = r.document_id and ${where} limit 1) d`;
  const ranked = matches(sql`e.id as entry, e.document_id, (e.tsv @@ qa) as in_title, ts_rank(e.tsv, qu) as score`, sql`order by in_title desc, score desc, entry`);
  const [rows, total] = await Promise.all([
    withIndexPlan(db, (trx) => sql<DocumentRow>`select d.* ${ranked} order by r.in_title desc, r.score desc, r.entry limit ${page.limit} offset ${page.offset}`.execute(trx)),
    withIndexPlan(db, (trx) => countOf(trx, matches(sql`e.document_id`, sql``), page, totalCap)),
  ]);
  return { rows: rows.rows, ...total };
}

/** Runs `work` in a transaction whose planner uses no sequential scan and no JIT (`postgresPage`). */
function withIndexPlan<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)`.execute(trx);
    return work(trx);
  });
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
