import { ApiError, type Me } from './api.js';
import type { Translator } from './i18n/index.js';
import { allowedTypesText } from './upload-check.js';

/**
 * A failure in the user's language: a known problem+json `code` gets its message (sizes from the
 * problem's own `limit` when it has one, else from `limits`, which also name the allowed types);
 * anything else shows the API's status and detail.
 */
export function describeError(tr: Translator, error: unknown, limits?: Me['limits']): string {
  if (!(error instanceof ApiError)) return tr.t('error.generic', { status: '-', detail: error instanceof Error ? error.message : String(error) });
  if (error.code === 'network') return tr.t('error.network');
  const key = `error.${error.code}`;
  if (tr.has(key)) {
    const limit = typeof error.extra.limit === 'number' ? error.extra.limit : limits?.maxUploadBytes;
    return tr.t(key, { detail: error.detail, size: limit === undefined ? '?' : tr.size(limit), types: limits === undefined ? '?' : allowedTypesText(limits.allowedMimeTypes) });
  }
  return tr.t('error.generic', { status: error.status, detail: error.detail });
}

/**
 * Something the console says, written when it is shown: kept this way (not as a string) so that a
 * language switch rewrites messages already on screen, errors included.
 */
export type Said = (tr: Translator) => string;

/** A failure, said in whichever language is current when it is shown. */
export function failureOf(error: unknown, limits?: Me['limits']): Said {
  return (tr) => describeError(tr, error, limits);
}
