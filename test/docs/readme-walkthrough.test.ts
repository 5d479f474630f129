import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_TYPES } from '../../src/shared/document.js';
import { freePort } from '../support/free-port.js';
import { DOCSTORE_BIN, startServe, type ServeProcess } from '../support/serve-process.js';

const run = promisify(execFile);
const repository = new URL('../../', import.meta.url).pathname;
const MARKER = '<!-- readme-walkthrough';

/** The README's quick start, from its heading to the next section. */
function quickStart(readme: string): string {
  const start = readme.indexOf('## Quick start\n');
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}

/** The first ```sh block after the walk-through's marker comment. */
function walkthrough(readme: string): string {
  const after = readme.slice(readme.indexOf(MARKER));
  const block = /```sh\n([\s\S]*?)```/.exec(after);
  if (!after.startsWith(MARKER) || block === null) throw new Error(`README.md has no sh block after ${MARKER}`);
  return block[1] as string;
}

/** Runs the walk-through as a script would (`bash -e`), returning its exit code and output. */
async function runWalkthrough(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env, timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('README quick start, as a newcomer reads it', () => {
  let readme: string;
  let dir: string;
  let server: ServeProcess;
  let env: NodeJS.ProcessEnv;
  let base: string;

  beforeAll(async () => {
    readme = await readFile(join(repository, 'README.md'), 'utf8');
    dir = await mkdtemp(join(tmpdir(), 'docstore-readme-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The walk-through's temporary files go under TMPDIR: here, this test's own directory.
    env = { ...process.env, DATA_DIR: join(dir, 'data'), PORT: String(port), METRICS_PORT: String(await freePort()), LOG_LEVEL: 'warn', TMPDIR: dir };
    server = startServe(env, { cwd: repository });
    await server.ready(90_000);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows `npm ci && npm start` and `npm ci && npm test` as two steps, and what a build, the tests and a second instance need', () => {
    const text = quickStart(readme);
    expect(text).toContain('```sh\nnpm ci && npm start\n```');
    expect(text).toContain('```sh\nnpm ci && npm test\n```');
    expect(text.indexOf('npm ci && npm start')).toBeLessThan(text.indexOf('npm ci && npm test'));
    expect(text).toContain('keeps running');
    expect(text).toMatch(/needs root/);
    for (const tool of ['`python3`', '`make`', '`g++`']) expect(text).toContain(tool);
    expect(text).toMatch(/PORT=\d+ METRICS_PORT=\d+ npm start/);
    expect(walkthrough(readme)).not.toMatch(/npm run (-s|--silent)/);
  });

  it('lists exactly the document types the API accepts', () => {
    const sentence = /A document's `type` is one of: ([^(]+)\(/.exec(quickStart(readme));
    expect(sentence).not.toBeNull();
    const listed = [...(sentence?.[1] ?? '').matchAll(/`([a-z_]+)`/g)].map((match) => match[1]);
    expect(listed).toEqual([...DOCUMENT_TYPES]);
  });

  it('the curl walk-through, run as written from the repository, registers a building and stores a PDF that lists and downloads', async () => {
    const result = await runWalkthrough(walkthrough(readme), repository, env);
    expect(result, `walk-through failed:\n${result.stdout}\n${result.stderr}`).toMatchObject({ code: 0 });
    const id = /stored document ([0-9a-f-]{36})\n/.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    expect(result.stdout).toContain('downloaded the same bytes');
    expect(result.stdout).toContain('"title":"PV AG 2026"');

    // Checked apart from the walk-through: the document is there, listed and downloadable.
    const { stdout: token } = await run(process.execPath, [DOCSTORE_BIN, 'token', '--sub', 'checker', '--org', '0190a000-0000-7000-8000-000000000001', '--role', 'syndic'], { env });
    const headers = { authorization: `Bearer ${token.trim()}` };
    const listing = (await (await fetch(`${base}/api/v1/buildings/0190a000-0000-7000-8000-0000000000b1/documents`, { headers })).json()) as { items: { id: string; title: string; mimeType: string }[] };
    expect(listing.items).toContainEqual(expect.objectContaining({ id, title: 'PV AG 2026', mimeType: 'application/pdf' }));
    const building = (await (await fetch(`${base}/api/v1/buildings/0190a000-0000-7000-8000-0000000000b1`, { headers })).json()) as { name: string; address: { city: string } };
    expect(building).toMatchObject({ name: 'Résidence Les Tilleuls', address: { city: 'Bruxelles' } });
    const content = await fetch(`${base}/api/v1/documents/${id}/content`, { headers });
    expect(content.status).toBe(200);
    expect(Buffer.from(await content.arrayBuffer()).subarray(0, 8).toString()).toBe('%PDF-1.4');
  }, 150_000);

  it('outside the repository, the walk-through stops at once with npm’s error instead of an empty token', async () => {
    const result = await runWalkthrough(walkthrough(readme), dir, env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('npm error');
    expect(result.stdout).not.toContain('stored document');
  }, 60_000);
});
