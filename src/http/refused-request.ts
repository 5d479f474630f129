import type { FastifyRequest } from 'fastify';
import type { RefusalTarget } from '../documents/document-service.js';
import type { Principal } from '../shared/principal.js';

const PRINCIPAL = Symbol('docstore.principal');

/** Keeps the authenticated principal on its request, for recording a refusal later (`principalOf`). */
export function rememberPrincipal(request: FastifyRequest, principal: Principal): Principal {
  (request as unknown as Record<symbol, Principal>)[PRINCIPAL] = principal;
  return principal;
}

/** The principal authenticated for this request, if any. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return (request as unknown as Record<symbol, Principal | undefined>)[PRINCIPAL];
}

/**
 * What a refused request was aimed at, from its route's parameters: `:buildingId`, `:organizationId`,
 * and `:id` (a document under `/documents/`, a building under `/buildings/`).
 */
export function refusalTargetOf(request: FastifyRequest): RefusalTarget | undefined {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const route = request.routeOptions.url ?? '';
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const id = text(params.id);
  if (id !== undefined && route.includes('/documents/:id')) return { documentId: id };
  const buildingId = text(params.buildingId) ?? (id !== undefined && route.includes('/buildings/:id') ? id : undefined);
  if (buildingId !== undefined) return { buildingId };
  const organizationId = text(params.organizationId);
  return organizationId === undefined ? undefined : { organizationId };
}
