import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';

/** The compiled CLI, what `bin/docstore.js` and `npm start` run (test/support/global-setup.ts builds it). */
const DIST_MAIN = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const ORG = '0190a000-0000-7000-8000-000000000001';
/** Packages that only some commands need: loading one for `--help` or `token` costs a second of start-up. */
const HEAVY = ['@aws-sdk/client-s3', 'openpgp', 'kysely', 'fastify', 'better-sqlite3', 'pg', 'tsx', 'vite'];
/** The module that spawns `pdftotext -v` and `tesseract --list-langs` to find the extraction tools. */
const EXTRACTION_TOOLS = 'search/extraction/extraction-tools.js';

describe('the built docstore (dist/)', () => {
  let dir: string;
  let tracer: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docstore-built-'));
    // A module resolution hook that names every npm package and every module of dist/ the process
    // loads, on stderr. The hook runs in a thread of its own: process.stderr there is forwarded to the
    // main thread, which loses it when the command ends with process.exit (Node 24), so it writes to
    // fd 2 itself.
    tracer = join(dir, 'trace-packages.mjs');
    const hook = `import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const name = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(resolved.url)?.[1];
  if (name !== undefined) writeSync(2, 'loaded-package ' + name + '\\n');
  const own = /\\/dist\\/(.+\\.js)$/.exec(resolved.url)?.[1];
  if (name === undefined && own !== undefined) writeSync(2, 'loaded-module ' + own + '\\n');
  return resolved;
}`;
    await writeFile(tracer, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`);
    env = { PATH: process.env.PATH, HOME: dir, DATA_DIR: join(dir, 'data') };
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  function runBuilt(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string; packages: Set<string>; modules: Set<string> }> {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['--import', tracer, DIST_MAIN, ...args], { env: { ...env, ...extraEnv }, timeout: 60_000 }, (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') return reject(error);
        const packages = new Set([...stderr.matchAll(/^loaded-package (\S+)$/gm)].map((match) => match[1] ?? ''));
        const modules = new Set([...stderr.matchAll(/^loaded-module (\S+)$/gm)].map((match) => match[1] ?? ''));
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr: stderr.replace(/^loaded-(package|module) .*\n/gm, ''), packages, modules });
      });
    });
  }

  it('`--help` lists the commands and loads commander only', async () => {
    const { code, stdout, stderr, packages } = await runBuilt(['--help']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const command of ['serve', 'token', 'config', 'mirror', 'backup', 'keys', 'storage']) expect(stdout).toContain(command);
    expect([...packages]).toEqual(['commander']);
  }, 60_000);

  it('`token` mints a JWT without loading the storage, database, HTTP or backup packages, nor looking for the OCR tools', async () => {
    const { code, stdout, stderr, packages, modules } = await runBuilt(['token', '--sub', 'built', '--org', ORG, '--role', 'syndic']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(packages).toContain('jose');
    for (const name of HEAVY) expect(packages, name).not.toContain(name);
    expect(modules).not.toContain(EXTRACTION_TOOLS);
  }, 60_000);

  it('`config` prints the validated configuration without loading the adapters', async () => {
    const { code, stdout, stderr, packages } = await runBuilt(['config']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ dataDir: env.DATA_DIR });
    for (const name of HEAVY) expect(packages, name).not.toContain(name);
  }, 60_000);

  it('`purge` and `reconcile` run on the core (src/service.ts) without building the HTTP app: neither Fastify nor the console loads', async () => {
    const maintenanceEnv = { DATA_DIR: join(dir, 'maintenance') };
    const purge = await runBuilt(['purge'], maintenanceEnv);
    expect(purge.stderr).toBe('');
    expect(purge.code).toBe(0);
    expect(purge.stdout).toBe('purged 0 document(s)\n');
    const reconcile = await runBuilt(['reconcile', '--json'], maintenanceEnv);
    expect(reconcile.stderr).toBe('');
    expect(reconcile.code).toBe(0);
    expect(JSON.parse(reconcile.stdout)).toMatchObject({ orphanObjects: [], missingObjects: [], fixed: 0 });
    for (const { packages, modules } of [purge, reconcile]) {
      // It did open the database and the storage, through the composition root.
      expect(packages).toContain('kysely');
      expect(packages).toContain('better-sqlite3');
      expect(modules).toContain('service.js');
      for (const name of ['fastify', '@fastify/multipart', '@fastify/swagger', '@fastify/swagger-ui', 'fastify-type-provider-zod', 'preact', 'vite', 'tsx']) {
        expect(packages, name).not.toContain(name);
      }
      // The configuration reads the HTTP layer's option types (request timeouts, upload limits); the app, server, routes and console stay unloaded.
      expect([...modules].filter((module) => /^http\/(app|server|console-assets|console-build)\.js$|^http\/routes\//.test(module))).toEqual([]);
      // Nor do they look for pdftotext and tesseract (two processes): only an extraction or a status does.
      expect(modules).not.toContain(EXTRACTION_TOOLS);
    }
  }, 60_000);

  it('`serve` from dist/ answers /health/ready and the console, without running Vite or tsx, nor loading the S3 adapter for local storage', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', tracer, DIST_MAIN, 'serve'], {
      env: { ...env, PORT: String(port), METRICS_PORT: String(metricsPort), DATA_DIR: join(dir, 'serve') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!output.includes('docstore: serving on')) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(ready.status).toBe(200);
      const console = await fetch(`http://127.0.0.1:${port}/`);
      expect(console.status).toBe(200);
      expect(console.headers.get('content-type')).toMatch(/^text\/html/);
      expect(output).not.toContain('not built');
      const packages = new Set([...output.matchAll(/^loaded-package (\S+)$/gm)].map((match) => match[1]));
      expect(packages).toContain('fastify');
      // The embedded default (local storage, SQLite) needs neither the AWS SDK nor openpgp.
      for (const name of ['vite', 'tsx', '@aws-sdk/client-s3', 'openpgp']) expect(packages, name).not.toContain(name);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});
