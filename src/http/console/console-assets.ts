import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** One file of the built console, held in memory (the whole console is a few tens of KiB). */
interface ConsoleAsset {
  body: Buffer;
  gzip?: Buffer;
  contentType: string;
  /** Vite's hashed file names never change content: cached for a year. */
  immutable: boolean;
}

/** The built web console (`npm run build` → dist/web), by URL path. */
export class ConsoleAssets {
  private constructor(private readonly files: ReadonlyMap<string, ConsoleAsset>) {}

  /** Reads a built console; undefined when `dir` holds no index.html (not built). */
  static async load(dir: string): Promise<ConsoleAssets | undefined> {
    let names: string[];
    try {
      names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const files = new Map<string, ConsoleAsset>();
    for (const name of names) {
      const path = `/${relative(dir, name).split(sep).join('/')}`;
      const body = await readFile(name);
      const contentType = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
      const compressible = /^(text\/|application\/(javascript|json|manifest))|svg/.test(contentType) && body.length > 1024;
      files.set(path, { body, contentType, immutable: path.startsWith('/assets/'), ...(compressible ? { gzip: gzipSync(body, { level: 9 }) } : {}) });
    }
    return files.has('/index.html') ? new ConsoleAssets(files) : undefined;
  }

  get(path: string): ConsoleAsset | undefined {
    return this.files.get(path);
  }

  /** Total bytes, raw and gzipped (the figure the README quotes). */
  sizes(): { raw: number; gzip: number } {
    let raw = 0;
    let gzip = 0;
    for (const file of this.files.values()) {
      raw += file.body.length;
      gzip += file.gzip?.length ?? file.body.length;
    }
    return { raw, gzip };
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/**
 * The console's policy: scripts and styles from docstore only (no inline script), previews from
 * blob: URLs the console makes itself, no framing by other sites.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "frame-src 'self' blob:",
  "object-src 'none'",
  // blob: — the previews' own bytes (made by the console from a fetched document).
  "connect-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths that belong to the API (or are missing assets) and are never answered with the console. */
const SERVER_PATHS = /^\/(api|health|docs|openapi\.json|assets)(\/|$|\?)/;

/** Whether an unmatched request should get the console's index.html (client-side routes). */
export function wantsConsole(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (SERVER_PATHS.test(request.url)) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

/** Registers `GET /` and `GET /assets/*`; other console paths go through `sendConsoleIndex`. */
export function registerConsoleRoutes(app: FastifyInstance, assets: ConsoleAssets | undefined): void {
  app.get('/', { schema: { hide: true } }, async (request, reply) => sendConsoleIndex(assets, request, reply));
  app.get<{ Params: { '*': string } }>('/assets/*', { schema: { hide: true } }, async (request, reply) => {
    const asset = assets?.get(`/assets/${request.params['*']}`);
    if (asset === undefined) return reply.callNotFound();
    return sendAsset(asset, request, reply);
  });
  for (const name of ['/favicon.svg', '/favicon.ico']) {
    app.get(name, { schema: { hide: true } }, async (request, reply) => {
      const asset = assets?.get(name);
      if (asset === undefined) return reply.callNotFound();
      return sendAsset(asset, request, reply);
    });
  }
}

export async function sendConsoleIndex(assets: ConsoleAssets | undefined, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const index = assets?.get('/index.html');
  if (index === undefined) {
    return reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-store')
      .send('The web console is not built: run `npm run build` (or `npm ci`, which builds it), then restart docstore. The API is at /api/v1, its documentation at /docs.\n');
  }
  return sendAsset(index, request, reply);
}

function sendAsset(asset: ConsoleAsset, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply
    .type(asset.contentType)
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('vary', 'accept-encoding');
  if (asset.contentType.startsWith('text/html')) {
    reply.header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
  }
  const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (asset.gzip !== undefined && acceptsGzip) return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.body);
}
