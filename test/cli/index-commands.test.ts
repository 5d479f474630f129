import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerBuilding } from '../support/buildings.js';
import { runDocstoreSources } from '../support/docstore-cli.js';
import { s3EnvironmentOf } from '../support/s3-target.js';
import { installOcrTools, textPdf } from '../support/search-samples.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix } from '../support/streams.js';
import { documentUpload } from '../support/upload-request.js';

const docstore = runDocstoreSources;

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
      env = {
        DATA_DIR: config.dataDir,
        LOG_LEVEL: 'silent',
        ...(config.storage.backend === 's3' ? s3EnvironmentOf(inject('s3'), config.storage.bucket, keyPrefix) : {}),
        ...(config.database.dialect === 'postgres' ? { DATABASE_URL: config.database.url } : {}),
      };
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

    it('refuses to rebuild with the index off (exit 2)', async () => {
      const off = await docstore(['index', 'rebuild'], { ...env, DOCSTORE_INDEX: 'off' });
      expect(off.code).toBe(2);
      expect(off.stderr).toContain('DOCSTORE_INDEX=off');
    });
  });
}
