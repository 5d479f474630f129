import { matchesWord, type SearchQuery } from './search-query.js';
import { locatedWords, MAX_INDEXED_CHARACTERS, type LocatedWord } from './text-folding.js';

/** A piece of a snippet: text to show as it is, `match` when it is a word the query found. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

/** Words shown around the first match. */
const CONTEXT_WORDS = 12;

/**
 * The passage of `text` around its first match, matching words marked (parts, so that no client
 * ever renders HTML out of a document's text). Built from the original text with the index's
 * folding (`text-folding.ts`), so it is the same on both databases. Without a match in the body
 * (the title matched): its first words, unmarked. Empty text: no parts.
 */
export function snippetOf(text: string, query: SearchQuery): SnippetPart[] {
  const located = locatedWords(text, MAX_INDEXED_CHARACTERS);
  if (located.length === 0) return [];
  const matched = matchedIndexes(located, query);
  const first = matched.size === 0 ? 0 : Math.min(...matched);
  const from = Math.max(0, first - CONTEXT_WORDS);
  const to = Math.min(located.length - 1, first + 2 * CONTEXT_WORDS);
  const parts: SnippetPart[] = [];
  const push = (piece: string, match: boolean) => {
    if (piece === '') return;
    const last = parts[parts.length - 1];
    if (last !== undefined && last.match === match) last.text += piece;
    else parts.push({ text: piece, match });
  };
  if (from > 0) push('… ', false);
  let cursor = (located[from] as LocatedWord).start;
  for (let index = from; index <= to; index++) {
    const word = located[index] as LocatedWord;
    // Words folded out of one run ("½" → 1, 2) share its offsets: the run is shown once.
    if (word.start < cursor) continue;
    push(text.slice(cursor, word.start).replace(/\s+/g, ' '), false);
    push(text.slice(word.start, word.end), matched.has(index));
    cursor = word.end;
  }
  if (to < located.length - 1) push(' …', false);
  return parts;
}

/** Indexes of the words a non-excluded term matches (every word of a phrase found in sequence). */
function matchedIndexes(located: LocatedWord[], query: SearchQuery): Set<number> {
  const matched = new Set<number>();
  for (const term of query.terms) {
    if (term.excluded) continue;
    for (let index = 0; index < located.length; index++) {
      if (term.kind === 'word') {
        if (matchesWord(term, (located[index] as LocatedWord).word)) matched.add(index);
      } else if (term.words.every((word, offset) => located[index + offset]?.word === word)) {
        for (let offset = 0; offset < term.words.length; offset++) matched.add(index + offset);
      }
    }
  }
  return matched;
}
