import { DocstoreError } from '../errors/docstore-error.js';

/** Codes of search and extraction, which the HTTP error mapper turns into problem+json. */
export const SEARCH_ERROR_CODES = ['search.invalid_query', 'search.invalid_cursor', 'search.disabled', 'search.invalid_languages'] as const;

export type SearchErrorCode = (typeof SEARCH_ERROR_CODES)[number];

export class SearchError extends DocstoreError<SearchErrorCode> {
  constructor(code: SearchErrorCode, message: string, context: Record<string, unknown> = {}, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, context });
  }

  static invalidQuery(query: string, reason: string): SearchError {
    return new SearchError('search.invalid_query', `Search query ${JSON.stringify(query.slice(0, 100))}: ${reason}`, { reason });
  }

  static invalidCursor(): SearchError {
    return new SearchError('search.invalid_cursor', 'The cursor is not one this search returned (same q and filters)');
  }

  static invalidLanguages(languages: string, reason: string): SearchError {
    return new SearchError('search.invalid_languages', `OCR languages ${JSON.stringify(languages.slice(0, 100))}: ${reason}`, { languages, reason });
  }

  static disabled(): SearchError {
    return new SearchError('search.disabled', 'Search inside documents is off on this service (DOCSTORE_INDEX=off)');
  }
}

export function isSearchError(error: unknown): error is SearchError {
  return error instanceof SearchError;
}
