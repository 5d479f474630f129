import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/errors/docstore-error.js';
import { parseQuery, toFts5, toTsquery } from '../../src/search/search-query.js';
import { snippetOf } from '../../src/search/search-snippet.js';
import { fold, indexText, words } from '../../src/search/text-folding.js';

describe('text folding', () => {
  it('removes accents and case the same way for documents and queries', () => {
    expect(fold('ASSEMBLÉE Générale')).toBe('assemblee generale');
    expect(words("L'assemblée a voté : travaux de toiture (3e étage), sous-sol.")).toEqual(['l', 'assemblee', 'a', 'vote', 'travaux', 'de', 'toiture', '3e', 'etage', 'sous', 'sol']);
    expect(words('Überweisung Ĳsselmeer café')).toEqual(['uberweisung', 'ijsselmeer', 'cafe']);
    expect(indexText(`a ${'x'.repeat(101)} b`)).toBe('a b');
  });
});

describe('query syntax', () => {
  it('compiles words, prefixes, phrases and exclusions identically for FTS5 and tsquery', () => {
    const query = parseQuery('Assemblée toit* "travaux de TOITURE" -Dubois -"sous-sol"');
    expect(query.terms).toEqual([
      { kind: 'word', word: 'assemblee', prefix: false, excluded: false },
      { kind: 'word', word: 'toit', prefix: true, excluded: false },
      { kind: 'phrase', words: ['travaux', 'de', 'toiture'], excluded: false },
      { kind: 'word', word: 'dubois', prefix: false, excluded: true },
      { kind: 'phrase', words: ['sous', 'sol'], excluded: true },
    ]);
    expect(toFts5(query)).toBe('("assemblee" AND "toit"* AND "travaux de toiture") NOT "dubois" NOT "sous sol"');
    expect(toTsquery(query)).toBe("'assemblee' & 'toit':* & ('travaux' <-> 'de' <-> 'toiture') & !'dubois' & !('sous' <-> 'sol')");
    // Narrowed to the caller's buildings' scope tokens, inside the index.
    expect(toFts5(parseQuery('toit -dubois'), ['zb1', 'zb2'])).toBe('("toit" AND {scope} : ("zb1" OR "zb2")) NOT "dubois"');
    expect(toTsquery(parseQuery('toit -dubois'), ['zb1', 'zb2'])).toBe("'toit' & !'dubois' & ('zb1' | 'zb2')");
    // The title-only query (a title match ranks first on PostgreSQL): every word weighted A.
    expect(toTsquery(query, undefined, true)).toBe("'assemblee':A & 'toit':*A & ('travaux':A <-> 'de':A <-> 'toiture':A) & !'dubois':A & !('sous':A <-> 'sol':A)");
  });

  it('turns a word that folds into several into a phrase, and ignores operators of the databases', () => {
    expect(parseQuery("l'assemblée").terms).toEqual([{ kind: 'phrase', words: ['l', 'assemblee'], excluded: false }]);
    // FTS5 and tsquery syntax in a query is only punctuation here.
    expect(toFts5(parseQuery('a:b OR (c) NEAR & !d'))).toBe('("a b" AND "or" AND "c" AND "near" AND "d")');
  });

  it('refuses queries with nothing to find, with search.invalid_query', () => {
    for (const text of ['', '   ', '-toiture', '-"a b"', '!!! ???', 't*', Array.from({ length: 21 }, (_, index) => `w${index}`).join(' ')]) {
      expect(() => parseQuery(text), text).toThrow(expect.objectContaining({ code: 'search.invalid_query' }));
      try {
        parseQuery(text);
      } catch (error) {
        expect(hasErrorCode(error, 'search.invalid_query')).toBe(true);
      }
    }
  });
});

describe('snippets', () => {
  it('marks the matched words of the original text, twelve words before the first match', () => {
    const text = `${'mot '.repeat(30)}Les travaux de la TOITURE sont votés. Toitures refaites.`;
    const parts = snippetOf(text, parseQuery('toiture*'));
    expect(parts[0]).toEqual({ text: '… mot mot mot mot mot mot mot mot Les travaux de la ', match: false });
    expect(parts.filter((part) => part.match).map((part) => part.text)).toEqual(['TOITURE', 'Toitures']);
  });

  it('marks a phrase only where its words follow each other, and shows the start without a body match', () => {
    const parts = snippetOf('le toit, puis le plan. Le plan du toit.', parseQuery('"plan du toit"'));
    expect(parts.filter((part) => part.match).map((part) => part.text)).toEqual(['plan', 'du', 'toit']);
    expect(snippetOf('Rien ici.', parseQuery('toiture'))).toEqual([{ text: 'Rien ici', match: false }]);
    expect(snippetOf('', parseQuery('toiture'))).toEqual([]);
  });
});
