import type { FastifyReply } from 'fastify';

/**
 * Takes the raw response over (`reply.hijack()`) for a handler that writes it itself (content
 * streams, signed links), keeping the headers that hooks already set on the reply: Fastify sends
 * those only with `reply.send`, so a hijacked answer lost them (the CORS headers of
 * `@fastify/cors`: a page of an allowed origin could not read a document's content). The raw
 * writer's own `writeHead` headers are added to them and win on a clash.
 */
export function hijackKeepingHeaders(reply: FastifyReply): void {
  reply.hijack();
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
}
