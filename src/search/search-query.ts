import { SearchError } from './search-errors.js';
import { fold, words } from './text-folding.js';

/**
 * One part of a query: a word (`toit`), a prefix (`toit*`), or a phrase (`"travaux de toiture"`,
 * also what a word that folds into several words becomes: `l'assemblée`); each may be excluded
 * with a leading `-`. Every part must match (AND), excluded ones must not.
 */
export type QueryTerm = { kind: 'word'; word: string; prefix: boolean; excluded: boolean } | { kind: 'phrase'; words: string[]; excluded: boolean };

/** A parsed search query, ready for either database. */
export interface SearchQuery {
  terms: QueryTerm[];
}

/** Most parts a query may have. */
export const MAX_QUERY_TERMS = 20;

/**
 * Parses the query syntax (docs/search.md): words, `prefix*`, `"phrases"`, `-excluded`; case and
 * accents ignored. Refused (`search.invalid_query`): nothing to find (empty, only exclusions or
 * punctuation), more than 20 parts, a prefix shorter than 2 characters.
 */
export function parseQuery(text: string): SearchQuery {
  const terms: QueryTerm[] = [];
  const pattern = /(-?)"([^"]*)"?|(-?)([^\s"]+)/gu;
  for (const match of text.matchAll(pattern)) {
    if (match[2] !== undefined) {
      const phrase = words(match[2]);
      if (phrase.length > 0) terms.push(termOf(phrase, match[1] === '-', false));
      continue;
    }
    const raw = match[4] ?? '';
    const excluded = match[3] === '-';
    const prefix = raw.endsWith('*');
    const found = words(raw);
    if (found.length === 0) continue;
    if (prefix && (found[found.length - 1] ?? '').length < 2) throw SearchError.invalidQuery(text, `a prefix needs at least 2 letters (${raw})`);
    terms.push(termOf(found, excluded, prefix));
  }
  if (terms.length > MAX_QUERY_TERMS) throw SearchError.invalidQuery(text, `at most ${MAX_QUERY_TERMS} words or phrases`);
  if (!terms.some((term) => !term.excluded)) throw SearchError.invalidQuery(text, 'give at least one word to find (exclusions alone find nothing)');
  return { terms };
}

function termOf(found: string[], excluded: boolean, prefix: boolean): QueryTerm {
  const [only] = found;
  if (found.length === 1 && only !== undefined) return { kind: 'word', word: only, prefix, excluded };
  // `l'assemblée*` is the phrase `l assemblee`: the prefix applies to single words only.
  return { kind: 'phrase', words: found, excluded };
}

/**
 * The query as an FTS5 MATCH expression: `("a" AND "pre"* AND "b c") NOT "x"`, every part on
 * title and body; with `scope` (buildings' scope tokens), only entries holding one of them:
 * `("a" AND {scope} : ("zb1" OR "zb2")) NOT "x"`.
 */
export function toFts5(query: SearchQuery, scope?: readonly string[]): string {
  const part = (term: QueryTerm) => (term.kind === 'word' ? `"${term.word}"${term.prefix ? '*' : ''}` : `"${term.words.join(' ')}"`);
  const included = query.terms.filter((term) => !term.excluded).map(part);
  if (scope !== undefined) included.push(`{scope} : (${scope.map((token) => `"${token}"`).join(' OR ')})`);
  const excluded = query.terms.filter((term) => term.excluded).map(part);
  return [`(${included.join(' AND ')})`, ...excluded].join(' NOT ');
}

/**
 * The query as a PostgreSQL tsquery text for `to_tsquery('simple', …)`: `a & pre:* & (b <-> c) & !x`;
 * with `scope`, `… & ('zb1' | 'zb2')` (the ranking takes the query without it). With `title`, every
 * word is matched in the title only (weight A: `'a':A & 'pre':*A`), as `ts_filter(tsv, '{a}') @@`
 * the query would, without building a filtered tsvector per match.
 */
export function toTsquery(query: SearchQuery, scope?: readonly string[], title = false): string {
  const weight = title ? 'A' : '';
  const word = (text: string, prefix = false) => `'${text}'${prefix || title ? ':' : ''}${prefix ? '*' : ''}${weight}`;
  const part = (term: QueryTerm) => {
    const text = term.kind === 'word' ? word(term.word, term.prefix) : `(${term.words.map((each) => word(each)).join(' <-> ')})`;
    return term.excluded ? `!${text}` : text;
  };
  const parts = query.terms.map(part);
  if (scope !== undefined) parts.push(`(${scope.map((token) => `'${token}'`).join(' | ')})`);
  return parts.join(' & ');
}

/** Whether a folded word of a document matches a word term (for highlighting). */
export function matchesWord(term: Extract<QueryTerm, { kind: 'word' }>, word: string): boolean {
  return term.prefix ? word.startsWith(term.word) : word === term.word;
}

/** A stable text of the query for cursors (same parts in the same order). */
export function queryKey(query: SearchQuery): string {
  return fold(JSON.stringify(query.terms));
}
