import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/jwt-verifier.js';
import { freePort } from '../support/free-port.js';
import { sha256 } from '../support/streams.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

/**
 * The image the Dockerfile builds, built and run as a deployment would run it: an engine of the
 * project's own (scripts/services/docker.sh, installing docker.io when missing), the local base
 * equivalent to the official node image (scripts/docker/base-image.sh: Docker Hub is out of reach
 * here) and `docker build --network host` (scripts/docker/build-image.sh). The first run on a
 * machine builds everything (minutes); later runs reuse the engine's images and build cache.
 */
const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const dockerScript = join(root, 'scripts/services/docker.sh');
const buildScript = join(root, 'scripts/docker/build-image.sh');
// 250 MB for docstore itself (issue 15), plus Debian's poppler-utils and tesseract with fra, nld and
// eng for search (issue 21): about 110 MB with their libraries, by apt's installed sizes.
const MAX_IMAGE_BYTES = 370e6;
const ORG = '0190a000-0000-7000-8000-0000000000d1';

describe('the Docker image, built and run', () => {
  const tag = `koprogo-docstore:test-${process.pid}`;
  const jwtSecret = randomBytes(32).toString('hex');
  let env: NodeJS.ProcessEnv;
  let engineStarted = false;
  let imageId = '';
  let containerId = '';
  let dataDir = '';
  let baseUrl = '';
  let user = '';

  const docker = async (args: string[], timeoutMs = 120_000) => (await run('docker', args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 })).stdout.trim();

  beforeAll(async () => {
    const started = await run('bash', [dockerScript, 'start', '--holder', String(process.pid)], { timeout: 600_000 }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`scripts/services/docker.sh could not start a Docker engine on this machine:\n${error.stderr ?? error.message}`);
    });
    engineStarted = true;
    const dockerHost = /^DOCKER_HOST=(\S+)$/m.exec(started.stdout)?.[1];
    expect(dockerHost, started.stdout).toMatch(/^unix:\/\//);
    env = { ...process.env, DOCKER_HOST: dockerHost };
    const built = await run('bash', [buildScript, tag], { env, timeout: 1_500_000, maxBuffer: 16 << 20 });
    imageId = built.stdout.trim().split('\n').at(-1) ?? '';
    expect(imageId, built.stderr).toMatch(/^sha256:[0-9a-f]{64}$/);

    // /data: a directory of the test's, owned by the container's user (the image's own when we are root).
    dataDir = await mkdtemp(join(tmpdir(), 'docstore-image-data-'));
    if (process.getuid?.() === 0) {
      await chown(dataDir, 10001, 10001);
      user = '10001:10001';
    } else {
      user = `${process.getuid?.()}:${process.getgid?.()}`;
    }
    const port = await freePort();
    containerId = await docker([
      'run', '--detach', '--read-only', '--tmpfs', '/tmp', '--volume', `${dataDir}:/data`, '--user', user,
      '--publish', `127.0.0.1:${port}:8080`, '--env', `DOCSTORE_JWT_SECRET=${jwtSecret}`, '--env', 'LOG_LEVEL=warn', imageId,
    ]);
    baseUrl = `http://127.0.0.1:${port}`;
    await untilReady();
  }, 1_800_000);

  /** Polls /health/ready until 200, for 60 s at most; fails at once when the container stops. */
  async function untilReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) }).then((response) => response.status, () => 0);
      if (status === 200) return;
      const running = await docker(['inspect', '--format', '{{.State.Running}}', containerId]);
      if (running !== 'true' || Date.now() > deadline) {
        const logs = await run('docker', ['logs', containerId], { env, timeout: 30_000 }).then((output) => `${output.stdout}${output.stderr}`);
        throw new Error(`the container did not become ready (running: ${running}, last status ${status}):\n${logs}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  afterAll(async () => {
    if (containerId !== '') await docker(['rm', '--force', '--volumes', containerId]);
    // Our tag only: another run may have built the same image under its own tag. --no-prune keeps
    // the layers below it as the next build's cache (copying the base and node_modules takes 30 s).
    if (imageId !== '') await docker(['image', 'rm', '--no-prune', tag]);
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
    if (engineStarted) {
      // Build stages of older sources that nothing uses any more; the cache of the current ones stays.
      await docker(['image', 'prune', '--force', '--filter', 'until=24h']);
      await run('bash', [dockerScript, 'stop', '--holder', String(process.pid)], { timeout: 120_000 });
    }
  }, 300_000);

  it('holds pdftotext, pdftoppm and tesseract with French, Dutch and English, so that OCR is on', async () => {
    const probe = 'pdftotext -v 2>&1 | head -n 1; command -v pdftoppm; tesseract --list-langs 2>/dev/null | tail -n +2 | sort | tr "\\n" " "';
    const found = await docker(['run', '--rm', '--read-only', '--network', 'none', '--entrypoint', 'sh', imageId, '-c', probe]);
    expect(found).toMatch(/^pdftotext version \d+/);
    expect(found).toContain('/usr/bin/pdftoppm');
    expect(found).toMatch(/eng fra nld osd/);
    const status = await fetch(`${baseUrl}/api/v1/search/status`, { headers: { authorization: `Bearer ${await mintToken(Buffer.from(jwtSecret), { sub: 'ops', org: ORG, role: 'syndic', buildings: [], ttlSeconds: 60 })}` } });
    expect(await status.json()).toMatchObject({ index: 'on', ocr: 'on', pdfText: 'on' });
  });

  it(`weighs less than ${MAX_IMAGE_BYTES / 1e6} MB and holds dist/, production dependencies, no sources, no dev tools`, async () => {
    const size = Number(await docker(['image', 'inspect', '--format', '{{.Size}}', imageId]));
    expect(size).toBeLessThan(MAX_IMAGE_BYTES);
    const probe = [
      'const { existsSync } = require("node:fs");',
      'const paths = ["/app/dist/http/server.js", "/app/dist/web/index.html", "/app/bin/docstore.js", "/app/node_modules/better-sqlite3/prebuilds/linux-x64.node",',
      '  "/app/node_modules/better-sqlite3/prebuilds/win32-x64.node", "/app/node_modules/better-sqlite3/deps",',
      '  "/app/src", "/app/web", "/app/node_modules/tsx", "/app/node_modules/typescript", "/app/node_modules/vite", "/app/node_modules/vitest", "/usr/local/include/node", "/usr/local/lib/node_modules/npm"];',
      'console.log(JSON.stringify(Object.fromEntries(paths.map((path) => [path, existsSync(path)]))));',
    ].join('\n');
    const found = JSON.parse(await docker(['run', '--rm', '--read-only', '--network', 'none', '--entrypoint', 'node', imageId, '-e', probe])) as Record<string, boolean>;
    expect(found).toEqual({
      '/app/dist/http/server.js': true,
      '/app/dist/web/index.html': true,
      '/app/bin/docstore.js': true,
      '/app/node_modules/better-sqlite3/prebuilds/linux-x64.node': true,
      '/app/node_modules/better-sqlite3/prebuilds/win32-x64.node': false,
      '/app/node_modules/better-sqlite3/deps': false,
      '/app/src': false,
      '/app/web': false,
      '/app/node_modules/tsx': false,
      '/app/node_modules/typescript': false,
      '/app/node_modules/vite': false,
      '/app/node_modules/vitest': false,
      '/usr/local/include/node': false,
      '/usr/local/lib/node_modules/npm': false,
    });
  });

  it('runs as a non-root user on a read-only root file system, only /data writable, and passes its own health check', async () => {
    const image = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config}}', imageId])) as { User: string; Healthcheck: { Test: string[] } };
    expect(image.User).toBe('10001:10001');
    expect(await docker(['exec', containerId, 'node', '-p', 'process.getuid()'])).toBe(user.split(':')[0]);
    expect(await docker(['exec', containerId, 'node', '-p', 'process.version'])).toBe(`v${readFileSync(join(root, '.node-version'), 'utf8').trim().replace(/^v/, '')}`);
    const write = (path: string) => `try { require("node:fs").writeFileSync(${JSON.stringify(path)}, "x"); console.log("written") } catch (error) { console.log(error.code) }`;
    expect(await docker(['exec', containerId, 'node', '-e', write('/app/written-by-test')])).toBe('EROFS');
    expect(await docker(['exec', containerId, 'node', '-e', write('/data/written-by-test')])).toBe('written');
    // The image's HEALTHCHECK command, run now rather than after its 30 s interval.
    expect(image.Healthcheck.Test[0]).toBe('CMD');
    await docker(['exec', containerId, ...image.Healthcheck.Test.slice(1)], 30_000);
  });

  it('stores an uploaded document in /data and serves back the same bytes', async () => {
    const token = await mintToken(Buffer.from(jwtSecret), { sub: 'syndic-image-test', org: ORG, role: 'syndic', buildings: [], ttlSeconds: 600 });
    const auth = { authorization: `Bearer ${token}` };
    const building = randomUUID();
    const registered = await fetch(`${baseUrl}/api/v1/buildings`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ id: building, name: 'Résidence Image' }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);

    const content = pdfOfSize(3 * 1024 * 1024 + 17);
    const { payload, headers } = documentUpload({ content, fileName: 'facture-image.pdf' });
    const uploaded = await fetch(`${baseUrl}/api/v1/buildings/${building}/documents`, { method: 'POST', headers: { ...headers, ...auth }, body: payload });
    const document = (await uploaded.json()) as { id: string; sha256: string; size: number };
    expect(uploaded.status, JSON.stringify(document)).toBe(201);
    expect(document).toMatchObject({ sha256: sha256(content), size: content.length });

    const downloaded = await fetch(`${baseUrl}/api/v1/documents/${document.id}/content`, { headers: auth });
    expect(downloaded.status).toBe(200);
    expect(sha256(Buffer.from(await downloaded.arrayBuffer()))).toBe(sha256(content));
    // The bytes and the database live in the mounted /data, nowhere else.
    expect((await readdir(dataDir)).sort()).toEqual(expect.arrayContaining(['docstore.sqlite', 'objects']));
  });
});
