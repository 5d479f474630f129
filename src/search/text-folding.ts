/**
 * How text becomes index words, the same for documents and queries and on both databases: Unicode
 * compatibility decomposition, accents (combining marks) removed, lower case, then runs of letters
 * and digits. "L'ASSEMBLÉE générale" → `l`, `assemblee`, `generale`. The databases receive these
 * words joined by spaces, so that neither FTS5's tokenizer nor PostgreSQL's parser decides anything.
 */

/** Longer runs (hashes, base64) are not words anyone searches for; PostgreSQL would drop them anyway. */
export const MAX_WORD_LENGTH = 100;

/** Characters of a document's body that go into the index (PostgreSQL's tsvector is limited to 1 MB). */
export const MAX_INDEXED_CHARACTERS = 500_000;

const WORD = /[\p{L}\p{N}]+/gu;

/** One character sequence folded: accents removed, lower case (`Œuvre` → `œuvre`, `É` → `e`). */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** The index words of `text`, in order. */
export function words(text: string): string[] {
  const found: string[] = [];
  for (const match of fold(text).matchAll(WORD)) if (match[0].length <= MAX_WORD_LENGTH) found.push(match[0]);
  return found;
}

/** What the databases index for `text`: its words joined by one space, at most `maxCharacters` of the original read. */
export function indexText(text: string, maxCharacters = MAX_INDEXED_CHARACTERS): string {
  return words(text.length > maxCharacters ? text.slice(0, maxCharacters) : text).join(' ');
}

/** A word of the original text with where it stands, for highlighting. */
export interface LocatedWord {
  word: string;
  start: number;
  end: number;
}

/** The words of `text` with their offsets in the original (not folded) text. */
export function locatedWords(text: string, maxCharacters: number): LocatedWord[] {
  const located: LocatedWord[] = [];
  const source = text.length > maxCharacters ? text.slice(0, maxCharacters) : text;
  for (const match of source.matchAll(/[\p{L}\p{N}\p{M}]+/gu)) {
    // Folding may split a run (a compatibility ligature never does; digits and letters stay together).
    for (const word of words(match[0])) located.push({ word, start: match.index, end: match.index + match[0].length });
  }
  return located;
}
