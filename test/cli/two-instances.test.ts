import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { DOCSTORE_BIN, startServe, type ServeProcess } from '../support/serve-process.js';
import { PDF } from '../support/upload-request.js';
import { registerBuildingAt } from '../support/buildings.js';

const run = promisify(execFile);
const ORG = '0190a000-0000-7000-8000-000000000001';

describe('two docstore instances on one host', () => {
  let dir: string;
  let occupied: Server;
  let occupiedPort: number;
  const started: ServeProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docstore-two-'));
    occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
    occupiedPort = (occupied.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await Promise.all(started.map((instance) => instance.stop()));
    await new Promise<void>((resolve) => occupied.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const serve = (env: Record<string, string>) => {
    const instance = startServe({ ...process.env, LOG_LEVEL: 'info', ...env });
    started.push(instance);
    return instance;
  };

  it('a port already in use is named by its variable (METRICS_PORT, PORT): exit 2, no stack trace, nothing announced as listening', async () => {
    const cases = [
      { variable: 'METRICS_PORT', listener: 'metrics', env: { PORT: String(await freePort()), METRICS_PORT: String(occupiedPort) } },
      { variable: 'PORT', listener: 'API', env: { PORT: String(occupiedPort), METRICS_PORT: String(await freePort()) } },
    ];
    await Promise.all(
      cases.map(async ({ variable, listener, env }) => {
        const instance = serve({ DATA_DIR: join(dir, `refused-${variable}`), ...env });
        expect(await instance.exited).toBe(2);
        const output = instance.output();
        expect(output).toContain(`docstore: listen.address_in_use: ${variable}: the ${listener} listener cannot use 127.0.0.1:${occupiedPort}`);
        expect(output).toContain(`give this instance another ${variable}`);
        expect(output).not.toMatch(/listening/i);
        expect(output).not.toContain('serving on');
        expect(output).not.toMatch(/\n\s+at /);
      }),
    );
  }, 120_000);

  it('two instances started at once on a fresh DATA_DIR both serve, with the same JWT and signing secrets', async () => {
    const dataDir = join(dir, 'shared');
    const ports = [await freePort(), await freePort()];
    const instances = await Promise.all(
      ports.map(async (port) => serve({ DATA_DIR: dataDir, PORT: String(port), METRICS_PORT: String(await freePort()) })),
    );
    await Promise.all(instances.map((instance) => instance.ready(90_000)));
    expect(instances.filter((instance) => instance.output().includes('generated a JWT secret'))).toHaveLength(1);
    expect((await readdir(dataDir)).filter((name) => name.includes('secret')).sort()).toEqual(['jwt-secret', 'signing-secret']);
    expect((await stat(join(dataDir, 'jwt-secret'))).mode & 0o777).toBe(0o600);

    const { stdout } = await run(process.execPath, [DOCSTORE_BIN, 'token', '--sub', 'alice', '--org', ORG, '--role', 'syndic'], { env: { ...process.env, DATA_DIR: dataDir } });
    const headers = { authorization: `Bearer ${stdout.trim()}` };
    const [first, second] = ports.map((port) => `http://127.0.0.1:${port}`) as [string, string];
    for (const base of [first, second]) {
      const me = await fetch(`${base}/api/v1/me`, { headers });
      expect(me.status).toBe(200);
    }
    // A link signed by the second instance is honoured by the first: one signing secret.
    const form = new FormData();
    form.append('type', 'meeting_minutes');
    form.append('title', 'PV AG 2026');
    form.append('file', new Blob([PDF], { type: 'application/pdf' }), 'pv.pdf');
    const building = await registerBuildingAt(second, stdout.trim());
    const created = await fetch(`${first}/api/v1/buildings/${building}/documents`, { method: 'POST', headers, body: form });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const link = await fetch(`${second}/api/v1/documents/${id}/download-url`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
    expect(link.status).toBe(200);
    const { url } = (await link.json()) as { url: string };
    expect(url.startsWith(`${second}/`)).toBe(true);
    const downloaded = await fetch(`${first}${url.slice(second.length)}`);
    expect(downloaded.status).toBe(200);
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(PDF)).toBe(true);
  }, 180_000);
});
