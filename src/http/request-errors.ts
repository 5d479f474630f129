/**
 * Codes the HTTP layer itself answers with: Fastify's validation, media-type and body-size errors,
 * an unknown route, and `internal` for any error that is not typed (a 500 that shows no internals).
 */
export const REQUEST_ERROR_CODES = ['request.invalid', 'request.not_found', 'request.unsupported_media_type', 'request.too_large', 'internal'] as const;

export type RequestErrorCode = (typeof REQUEST_ERROR_CODES)[number];
