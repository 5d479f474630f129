import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DocstoreMetrics } from './docstore-metrics.js';

export interface MetricsServerOptions {
  metrics: DocstoreMetrics;
  host: string;
  port: number;
  /** When set, scrapes must send `Authorization: Bearer <token>`. */
  token?: string;
}

export interface MetricsServer {
  /** `http://host:port`, the port resolved when 0 was asked. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` on a listener of its own (default 127.0.0.1:9464), apart from the API, so
 * that metrics are never public by accident; optionally protected by a bearer token.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (expected !== undefined) {
      const given = Buffer.from(request.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('unauthorized\n');
        return;
      }
    }
    options.metrics.exposition().then(
      (text) => response.writeHead(200, { 'content-type': options.metrics.registry.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
