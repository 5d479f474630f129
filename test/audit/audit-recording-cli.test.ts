import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { INSTANCE_CHAIN } from '../../src/audit/audit-entry.js';
import { ORG_A, localSqliteService, s3PostgresService, type FixtureFactory, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { documentUpload } from '../support/upload-request.js';
import { s3EnvironmentOf } from '../support/s3-target.js';
import { runDocstore } from '../support/docstore-cli.js';
import { auditEntries, onlyEntry } from '../support/audit-entries.js';

/** Operators' commands are recorded: by the operator ($USER) and the command, on the instance's chain (and a document's, for what changed it). */
const PAIRS: Array<[string, FixtureFactory, () => Record<string, string>]> = [
  ['local + SQLite', localSqliteService, () => ({})],
  // A key prefix of its own: reconcile lists only this test's objects of the shared bucket.
  ['S3 (RGW) + PostgreSQL', s3PostgresService, () => ({ S3_KEY_PREFIX: `audit-cli-${randomBytes(4).toString('hex')}/` })],
];

for (const [pairName, factory, extraEnv] of PAIRS) {
  describe(`audit trail of CLI commands on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      const extra = extraEnv();
      fixture = await factory({ env: extra });
      const { config } = fixture;
      const storageEnv = config.storage.backend === 's3' ? s3EnvironmentOf(inject('s3'), config.storage.bucket, config.storage.keyPrefix) : {};
      env = {
        ...process.env,
        USER: 'operator-jo',
        DATA_DIR: config.dataDir,
        ...storageEnv,
        ...(config.database.dialect === 'postgres' ? { DATABASE_URL: config.database.url } : {}),
      };
    });
    afterAll(async () => fixture?.close());

    it('reconcile --fix: each document marked broken in its organisation’s chain, the run on the instance’s', async () => {
      const building = await registerBuilding(fixture);
      const syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const { payload, headers } = documentUpload({ type: 'other' });
      const document = (await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...syndic } })).json() as Document;
      await fixture.service.storage.delete(`${ORG_A}/${building}/${document.id}`);

      const run = await runDocstore(['reconcile', '--fix', '--json'], env, { timeoutMs: 120_000 });
      expect(run.code, run.stderr).toBe(0);
      const operator = { kind: 'cli', subject: 'operator-jo', role: null };
      const marked = onlyEntry(await auditEntries(fixture.service.db, { documentId: document.id }), 'reconcile.fix');
      expect(marked).toMatchObject({ organizationId: ORG_A, buildingId: building, actor: operator, requestId: 'reconcile --fix', details: { status: { from: 'active', to: 'broken' } } });
      const [instance] = (await auditEntries(fixture.service.db, { organizationId: INSTANCE_CHAIN, action: 'reconcile.fix' })).slice(-1);
      expect(instance).toMatchObject({ actor: operator, requestId: 'reconcile --fix', buildingId: null, documentId: null, details: { fixed: expect.any(Number), missingObjects: expect.any(Number) } });
      expect(instance?.details?.fixed).toBeGreaterThanOrEqual(1);
      // The command linked what it recorded before it ended.
      expect(instance?.chainSeq).toBeGreaterThan(0);
    }, 180_000);

    it('keys rotate and keys encrypt-existing, on the instance’s chain', async () => {
      const keys = `k1:${randomBytes(32).toString('base64')}`;
      for (const [command, action] of [['encrypt-existing', 'keys.encrypt_existing'], ['rotate', 'keys.rotate']] as const) {
        const run = await runDocstore(['keys', command, '--json'], { ...env, DOCSTORE_MASTER_KEYS: keys }, { timeoutMs: 120_000 });
        expect(run.code, run.stderr).toBe(0);
        const summary = JSON.parse(run.stdout) as { objects: number };
        const [entry] = (await auditEntries(fixture.service.db, { organizationId: INSTANCE_CHAIN, action })).slice(-1);
        expect(entry).toMatchObject({ actor: { kind: 'cli', subject: 'operator-jo', role: null }, requestId: `keys ${command}`, outcome: 'success', details: { activeKeyId: 'k1', objects: summary.objects, failed: 0 } });
      }
    }, 180_000);
  });
}
