import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import { freePort } from '../support/free-port.js';
import { pdfOfSize } from '../support/upload-request.js';
import { DOCSTORE_BIN } from '../support/serve-process.js';

const run = promisify(execFile);
const ORG = '0190a000-0000-7000-8000-000000000001';

describe('the docstore command on the embedded default (as after npm ci && npm start)', () => {
  let dataDir: string;
  let port: number;
  let server: ChildProcess;
  let output = '';
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'docstore-cli-'));
    port = await freePort();
    env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), METRICS_PORT: String(await freePort()), LOG_LEVEL: 'info' };
    server = spawn(process.execPath, [DOCSTORE_BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!output.includes('docstore: serving on')) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 60_000);

  /** The server's output lines written whole (the last one may still be arriving). */
  const completeLines = () => output.split('\n').slice(0, -1);

  /** Waits (up to 30 s) until the server has logged a whole line containing `text`. */
  async function untilLogged(text: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!completeLines().some((line) => line.includes(text))) {
      if (Date.now() > deadline) throw new Error(`the server never logged ${text}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  afterAll(async () => {
    if (server !== undefined && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates what is missing under the data directory and says how to mint a token', async () => {
    expect(output).toContain(`serving on http://127.0.0.1:${port}`);
    expect(output).toContain('generated a JWT secret');
    expect(output).toContain('docstore -- token');
    expect((await stat(join(dataDir, 'jwt-secret'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'docstore.sqlite'))).isFile()).toBe(true);
    expect((await stat(join(dataDir, 'objects'))).isDirectory()).toBe(true);
  });

  it('a token minted with `docstore token` uploads and downloads a PDF with curl', async () => {
    const { stdout: token } = await run(process.execPath, [DOCSTORE_BIN, 'token', '--sub', 'alice', '--org', ORG, '--role', 'syndic', '--ttl', '10m'], { env });
    const pdf = join(dataDir, 'minutes.pdf');
    const bytes = pdfOfSize(100_000);
    await writeFile(pdf, bytes);
    const { stdout: registered } = await run('curl', [
      '-sS', '--fail-with-body', '-H', `Authorization: Bearer ${token.trim()}`, '-H', 'Content-Type: application/json',
      '-d', JSON.stringify({ name: 'Résidence Les Tilleuls', address: { street: 'Rue des Tilleuls 4', postalCode: '1000', city: 'Bruxelles' } }),
      `http://127.0.0.1:${port}/api/v1/buildings`,
    ]);
    const building = (JSON.parse(registered) as { id: string }).id;
    const { stdout: created } = await run('curl', [
      '-sS', '--fail-with-body', '-H', `Authorization: Bearer ${token.trim()}`,
      '-F', 'type=meeting_minutes', '-F', 'title=PV AG 2026', '-F', `file=@${pdf};filename=PV AG 2026.pdf`,
      `http://127.0.0.1:${port}/api/v1/buildings/${building}/documents`,
    ]);
    const document = JSON.parse(created) as { id: string; uploadedBy: string; mimeType: string };
    expect(document).toMatchObject({ uploadedBy: 'alice', mimeType: 'application/pdf' });
    const downloaded = join(dataDir, 'downloaded.pdf');
    await run('curl', ['-sS', '--fail', '-o', downloaded, '-H', `Authorization: Bearer ${token.trim()}`, `http://127.0.0.1:${port}/api/v1/documents/${document.id}/content`]);
    expect((await readFile(downloaded)).equals(bytes)).toBe(true);
  }, 30_000);

  it('logs structured JSON with a request id, never the token', async () => {
    const { stdout: token } = await run(process.execPath, [DOCSTORE_BIN, 'token', '--sub', 'bob', '--org', ORG, '--role', 'owner'], { env });
    await fetch(`http://127.0.0.1:${port}/api/v1/buildings/${randomUUID()}/documents`, { headers: { authorization: `Bearer ${token.trim()}`, 'x-request-id': 'trace-123' } });
    await untilLogged('trace-123');
    const lines = completeLines().filter((line) => line.startsWith('{'));
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.some((entry) => entry.reqId === 'trace-123')).toBe(true);
    expect(output).not.toContain(token.trim());
    expect(output).not.toContain(token.trim().split('.')[2]);
  });

  it('serves the web console at / and `docstore open` prints a sign-in link whose token stays out of the logs', async () => {
    expect(output).toContain(`console:    http://127.0.0.1:${port}/`);
    expect(output).toContain('npm run docstore -- open');
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toMatch(/<script type="module" crossorigin src="\/assets\/[\w-]+\.js"><\/script>/);
    const opened = await run(process.execPath, [DOCSTORE_BIN, 'open'], { env });
    const link = opened.stdout.trim();
    expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/#token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    expect(opened.stderr).toContain('expires in 60 min');
    const token = link.split('#token=')[1] as string;
    const me = await fetch(`http://127.0.0.1:${port}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ userId: 'console', organizationId: ORG, role: 'syndic' });
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(3600);
    const admin = await run(process.execPath, [DOCSTORE_BIN, 'open', '--role', 'superadmin', '--ttl', '15m'], { env });
    const adminToken = admin.stdout.trim().split('#token=')[1] as string;
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/admin/overview`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);
    const tooLong = await run(process.execPath, [DOCSTORE_BIN, 'open', '--ttl', '2d'], { env }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(tooLong?.code).toBe(2);
    expect(tooLong?.stderr).toContain('at most 12h');
    // Tokens verified by a JWKS cannot be minted here: a printed configuration error, not a silent exit.
    const noSecret = await run(process.execPath, [DOCSTORE_BIN, 'token', '--sub', 'a', '--org', ORG, '--role', 'syndic'], { env: { ...env, DOCSTORE_JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json' } }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(noSecret?.code).toBe(2);
    expect(noSecret?.stderr).toContain('DOCSTORE_JWT_SECRET: tokens can only be minted with a shared secret');
    // The access log has seen every request above: it holds neither token nor signature.
    const logged = await fetch(`http://127.0.0.1:${port}/api/v1/buildings`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'console-open-check' } });
    expect(logged.status).toBe(200);
    await untilLogged('console-open-check');
    for (const secret of [token, adminToken]) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(secret.split('.')[2]);
    }
  }, 90_000);

  it('migrate, purge and reconcile run against the same data', async () => {
    expect((await run(process.execPath, [DOCSTORE_BIN, 'migrate'], { env })).stdout).toContain('already up to date');
    expect((await run(process.execPath, [DOCSTORE_BIN, 'purge'], { env })).stdout).toContain('purged 0 document(s)');
    const reconcile = await run(process.execPath, [DOCSTORE_BIN, 'reconcile', '--json'], { env });
    expect(JSON.parse(reconcile.stdout)).toEqual({ orphanObjects: [], protectedObjects: [], missingObjects: [], fixed: 0 });
    // Something found without --fix: exit code 3, like verify (not 1, a failure of the command).
    const storage = await LocalObjectStorage.open({ root: join(dataDir, 'objects') });
    await storage.put('stray/orphan', 'no row names me');
    const found = await run(process.execPath, [DOCSTORE_BIN, 'reconcile', '--json'], { env }).then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );
    expect(found?.code).toBe(3);
    expect(JSON.parse(found?.stdout ?? '{}')).toMatchObject({ orphanObjects: ['stray/orphan'], missingObjects: [] });
    await storage.delete('stray/orphan');
    // Three CLI processes of several seconds each (tsx); the full suite runs beside them on two cores.
  }, 90_000);

  it('reports configuration errors by variable, exit code 2, no stack trace', async () => {
    const failure = await run(process.execPath, [DOCSTORE_BIN, 'serve'], { env: { ...env, S3_USE_PATH_STYLE: 'maybe', MAX_UPLOAD_BYTES: 'lots' } }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('S3_USE_PATH_STYLE: must be true or false');
    expect(failure?.stderr).toContain('MAX_UPLOAD_BYTES');
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  });
});
