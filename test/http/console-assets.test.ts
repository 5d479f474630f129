import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { CONSOLE_BUILD_DIR } from '../../src/http/console/console-build.js';
import { CONSOLE_CONTENT_SECURITY_POLICY } from '../../src/http/console/console-assets.js';
import { createService, type Service } from '../../src/http/server.js';
import { JWT_SECRET, localSqliteService, type ServiceFixture } from '../support/service-fixture.js';

// The global setup builds the console (dist/web); these check how docstore serves that build.
describe('the web console’s assets, beside the API', () => {
  let fixture: ServiceFixture;
  let script: string;
  let stylesheet: string;

  beforeAll(async () => {
    fixture = await localSqliteService();
    const assets = await readdir(join(CONSOLE_BUILD_DIR, 'assets'));
    // The entry script; other chunks (the upload check's content detection) load on demand.
    script = `/assets/${assets.find((name) => name.startsWith('index-') && name.endsWith('.js'))}`;
    stylesheet = `/assets/${assets.find((name) => name.endsWith('.css'))}`;
  });
  afterAll(async () => fixture?.close());

  const get = (url: string, headers: Record<string, string> = {}) => fixture.service.app.inject({ url, headers });

  it('serves index.html at / with no-cache, a self-only CSP and no inline script', async () => {
    const response = await get('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toMatch(/script-src 'self';/);
    expect(CONSOLE_CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.body).toBe(await readFile(join(CONSOLE_BUILD_DIR, 'index.html'), 'utf8'));
    const scripts = [...response.body.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts).toEqual([`<script type="module" crossorigin src="${script}">`]);
    expect(response.body).not.toMatch(/<style\b|\sstyle=|\son\w+=/);
    expect(response.body).toContain(`href="${stylesheet}"`);
  });

  it('serves hashed assets immutable, gzipped to clients that accept it', async () => {
    const raw = await readFile(join(CONSOLE_BUILD_DIR, script));
    const plain = await get(script);
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.equals(raw)).toBe(true);
    const gzipped = await get(script, { 'accept-encoding': 'gzip, deflate, br' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toContain('accept-encoding');
    expect(gunzipSync(gzipped.rawPayload).equals(raw)).toBe(true);
    expect(gzipped.rawPayload.length).toBeLessThan(raw.length / 2);
    expect((await get(stylesheet)).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('is a production bundle, small: no development JSX (source paths), under 30 KB gzipped in all', async () => {
    const raw = await readFile(join(CONSOLE_BUILD_DIR, script), 'utf8');
    expect(raw).not.toContain('web/src/');
    expect(raw).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z]/i);
    let gzipped = 0;
    for (const url of ['/', script, stylesheet]) gzipped += (await get(url, { 'accept-encoding': 'gzip' })).rawPayload.length;
    // Issue 19's budget: 30 KB for what the first page needs (27.7 KB with the responsive views, the
    // reader's view and three catalogues); the upload panel, dialogs, forms, the storage page and
    // the search panel, a document's history and a building's activity load on demand
    // (web/src/views/lazy-views.tsx), as does content detection.
    expect(gzipped).toBeLessThan(30 * 1024);
  });

  it('answers unknown assets and API paths with problem+json 404, client routes with the console', async () => {
    for (const url of ['/assets/missing-0000.js', '/api/v1/nothing-here', '/api/v2', '/health/nothing', '/openapi.json/x']) {
      const response = await get(url, { accept: 'text/html,application/xhtml+xml' });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toContain('application/problem+json');
      expect(response.json(), url).toMatchObject({ status: 404, code: 'request.not_found' });
    }
    const route = await get('/buildings/0190a000-0000-7000-8000-000000000001', { accept: 'text/html' });
    expect(route.statusCode).toBe(200);
    expect(route.headers['content-security-policy']).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
    // Not a browser (no text/html in Accept): the API's answer.
    const tool = await get('/some/where', { accept: '*/*' });
    expect(tool.statusCode).toBe(404);
    expect(tool.headers['content-type']).toContain('application/problem+json');
    const post = await fixture.service.app.inject({ method: 'POST', url: '/', headers: { accept: 'text/html' } });
    expect(post.statusCode).toBe(404);
    expect(post.headers['content-type']).toContain('application/problem+json');
  });

  it('is readable by any user: the service may run as another user than the one that built it', async () => {
    expect((await stat(CONSOLE_BUILD_DIR)).mode & 0o777).toBe(0o755);
  });

  it('keeps the API, its OpenAPI document, /docs and health where they were', async () => {
    expect((await get('/health/live')).json()).toEqual({ status: 'ok' });
    const openapi = await get('/openapi.json');
    expect(openapi.headers['content-type']).toContain('application/json');
    expect(Object.keys((openapi.json() as { paths: object }).paths)).not.toContain('/');
    const docs = await get('/docs/', { accept: 'text/html' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger-ui');
    expect(docs.headers['content-security-policy']).toBeUndefined();
    expect((await get('/api/v1/buildings')).json()).toMatchObject({ status: 401, code: 'auth.missing_token' });
  });

  it('without a build, / says how to build the console and the API still works', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'docstore-no-console-'));
    let service: Service | undefined;
    try {
      service = await createService(loadConfig({ DATA_DIR: empty, DOCSTORE_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'silent' }), { logger: false, consoleDir: join(empty, 'web') });
      const response = await service.app.inject({ url: '/', headers: { accept: 'text/html' } });
      expect(response.statusCode).toBe(503);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.body).toContain('run `npm run build`');
      expect((await service.app.inject({ url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await service?.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
