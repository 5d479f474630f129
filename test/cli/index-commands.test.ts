import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerBuilding } from '../support/buildings.js';
import { operatorEnvironment, runDocstoreSources } from '../support/docstore-cli.js';
import { imagePdf, installOcrTools, scanOf, textPdf } from '../support/search-samples.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix } from '../support/streams.js';
import { documentUpload } from '../support/upload-request.js';

const docstore = runDocstoreSources;
const MAIN_SOURCE = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** A process's command name (Linux /proc), or undefined once it is gone. */
function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A process's arguments (Linux /proc), empty once it is gone. */
function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Every process below `root` (children, their children…), from /proc. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone between the listing and the read.
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const [pid, ppid] of parents) if (ppid === parent) (found.push(pid), queue.push(pid));
  }
  return found;
}

/** Polls `probe` every 50 ms until it returns a value, for at most `timeoutMs`. */
async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(installOcrTools, 900_000);

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`docstore index status|rebuild on ${pairName}`, { timeout: 120_000 }, () => {
    let fixture: ServiceFixture;
    let env: Record<string, string>;
    const ids: string[] = [];

    beforeAll(async () => {
      const s3 = pairName.startsWith('S3');
      const keyPrefix = `index-cli-${randomPrefix()}/`;
      fixture = await factory({ env: s3 ? { S3_KEY_PREFIX: keyPrefix } : {} });
      const config = fixture.config;
      env = operatorEnvironment(config, inject('s3'), keyPrefix);
      const building = await registerBuilding(fixture);
      for (const words of ['Contrat de chauffage central', 'Contrat de nettoyage des communs']) {
        const { payload, headers } = documentUpload({ type: 'contract', title: words, content: textPdf([[`${words}, signé par le syndic.`]]) });
        const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, authorization: `Bearer ${await fixture.token('syndic')}` } });
        expect(response.statusCode, response.body).toBe(201);
        ids.push(response.json().id as string);
      }
    });
    afterAll(async () => fixture?.close());

    it('reports the queue, rebuilds it with a JSON summary, and reports it done', async () => {
      const before = await docstore(['index', 'status', '--json'], env);
      expect(before.code, before.stderr).toBe(0);
      expect(JSON.parse(before.stdout)).toMatchObject({ index: 'on', ocr: 'on', pdfText: 'on', ocrLanguages: 'fra+nld', jobs: { pending: 2, done: 0 }, problems: [] });
      const rebuilt = await docstore(['index', 'rebuild', '--json'], env);
      expect(rebuilt.code, rebuilt.stderr).toBe(0);
      expect(rebuilt.stderr).toBe('');
      expect(JSON.parse(rebuilt.stdout)).toMatchObject({ queued: 2, worked: 2, outcomes: { done: 2 }, jobs: { done: 2, pending: 0 } });
      const after = await docstore(['index', 'status'], env);
      expect(after.stdout).toContain('index on, PDF text on, OCR on (fra+nld)');
      expect(after.stdout).toMatch(/jobs: pending 0, running 0, done 2,/);
      const text = await fixture.service.app.inject({ url: `/api/v1/documents/${ids[0]}/text`, headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(text.json()).toMatchObject({ status: 'done', method: 'text', text: expect.stringContaining('chauffage central') });
      // Without --json, one progress line per document on stderr (not a terminal).
      const again = await docstore(['index', 'rebuild'], env);
      expect(again.stderr.trim().split('\n')).toHaveLength(2);
      expect(again.stdout).toMatch(/^queued 2, extracted 2 here in [\d.]+ s: done 2\n$/);
    });

    it('a rebuild killed while tesseract runs leaves its job to the next instance, which takes it once the lease lapses', async () => {
      const scan = await scanOf(['Convocation à l’assemblée', 'Remplacement des châssis'], 'jpeg');
      const building = await registerBuilding(fixture);
      const { payload, headers } = documentUpload({ type: 'other', title: 'Convocation', fileName: 'convocation.pdf', content: imagePdf(scan.image, scan.width, scan.height) });
      const uploaded = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, authorization: `Bearer ${await fixture.token('syndic')}` } });
      const id = uploaded.json().id as string;
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN_SOURCE, 'index', 'rebuild', '--json'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
      try {
        // The rebuild reads the text PDFs quickly, then this scan with tesseract: killed then.
        // (Not the `tesseract --list-langs` of its start: the one reading a rendered page.)
        const tesseract = await waitFor(() => descendants(child.pid as number).find((pid) => commOf(pid) === 'tesseract' && cmdlineOf(pid).includes('page-1.png')), 90_000);
        process.kill(child.pid as number, 'SIGKILL');
        process.kill(tesseract, 'SIGKILL');
      } finally {
        child.kill('SIGKILL');
      }
      const left = await fixture.service.db.selectFrom('extraction_jobs').selectAll().where('document_id', '=', id).executeTakeFirstOrThrow();
      expect(left).toMatchObject({ status: 'running', attempts: 1, lease_owner: expect.stringMatching(/:\d+:/) });
      // The next instance (its clock past the two-minute lease) takes the job again and reads it.
      const restarted = await factory({ shareWith: fixture, now: () => new Date(Date.now() + 121_000), env: env.S3_KEY_PREFIX === undefined ? {} : { S3_KEY_PREFIX: env.S3_KEY_PREFIX } });
      try {
        expect(await restarted.service.search.worker().drain()).toBeGreaterThanOrEqual(1);
        expect(await restarted.service.db.selectFrom('extraction_jobs').selectAll().where('document_id', '=', id).executeTakeFirstOrThrow()).toMatchObject({ status: 'done', method: 'ocr', attempts: 2, lease_owner: null });
        const text = await restarted.service.app.inject({ url: `/api/v1/documents/${id}/text`, headers: { authorization: `Bearer ${await restarted.token('syndic')}` } });
        expect(text.json().text).toContain('châssis');
      } finally {
        await restarted.service.close();
      }
    });

    it('refuses to rebuild with the index off (exit 2)', async () => {
      const off = await docstore(['index', 'rebuild'], { ...env, DOCSTORE_INDEX: 'off' });
      expect(off.code).toBe(2);
      expect(off.stderr).toContain('DOCSTORE_INDEX=off');
    });
  });
}
