import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { registerBuilding } from '../support/buildings.js';
import { damageInPlace } from '../support/damage.js';
import { operatorEnvironment, runDocstoreSources as docstore } from '../support/docstore-cli.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix } from '../support/streams.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`docstore scrub (the command) on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let env: Record<string, string>;
    const documents: Document[] = [];

    beforeAll(async () => {
      const s3 = pairName.startsWith('S3');
      const keyPrefix = `scrub-cli-${randomPrefix()}/`;
      fixture = await factory({ env: s3 ? { S3_KEY_PREFIX: keyPrefix } : {} });
      const config = fixture.config;
      env = operatorEnvironment(config, inject('s3'), keyPrefix);
      const auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const building = await registerBuilding(fixture);
      for (let index = 0; index < 2; index++) {
        const { payload, headers } = documentUpload({ type: 'other', content: pdfOfSize(100_000 + index) });
        const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
        expect(response.statusCode, response.body).toBe(201);
        documents.push(response.json() as Document);
      }
    });
    afterAll(async () => fixture?.close());

    it('exits 0 on a whole archive, 3 naming the damaged version, and --document clears a restored one', async () => {
      const whole = await docstore(['scrub', '--json', '--bandwidth', '50M'], env);
      expect(whole.code, whole.stderr).toBe(0);
      expect(JSON.parse(whole.stdout)).toMatchObject({ status: 'done', objects: 2, damaged: [], missing: [], passCompleted: true });
      expect(whole.stderr).not.toContain('scrub:'); // no progress line off a terminal

      const damaged = documents[0]!;
      const { storage_key: key } = await fixture.service.db.selectFrom('documents').select('storage_key').where('id', '=', damaged.id).executeTakeFirstOrThrow();
      await damageInPlace(fixture, key, 500);
      const found = await docstore(['scrub'], env);
      expect(found.code, found.stderr).toBe(3);
      expect(found.stdout).toContain(`damaged document ${damaged.id} version 1`);
      expect(found.stdout).toContain('docs/operations.md#damaged-objects');
      const row = await fixture.service.db.selectFrom('documents').select('status').where('id', '=', damaged.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('broken');

      // Put the bytes back (a restore by hand) and clear the status with --document.
      await damageInPlace(fixture, key, 500);
      const cleared = await docstore(['scrub', '--document', damaged.id, '--json'], env);
      expect(cleared.code, cleared.stderr).toBe(0);
      expect(JSON.parse(cleared.stdout)).toMatchObject({ objects: 1, damaged: [], missing: [] });
      const after = await fixture.service.db.selectFrom('documents').select('status').where('id', '=', damaged.id).executeTakeFirstOrThrow();
      expect(after.status).toBe('active');
    });
  });
}
