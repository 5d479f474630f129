import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { PASSPHRASE, backupKeys, localRepositoryLocation } from '../support/backup-fixture.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { INSTANCE_CHAIN } from '../../src/audit/audit-entry.js';
import { ORG_A, createTestDatabase, localSqliteService, s3PostgresService, type FixtureFactory, type ServiceFixture } from '../support/service-fixture.js';
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

    it('backup restore: recorded in the restored database, as its last entry', async () => {
      const building = await registerBuilding(fixture);
      const syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const { payload, headers } = documentUpload({ type: 'other' });
      expect((await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...syndic } })).statusCode).toBe(201);
      const keys = await backupKeys();
      const location = await localRepositoryLocation();
      const target = await mkdtemp(join(tmpdir(), 'docstore-audit-restore-'));
      try {
        const repoEnv = { ...env, DOCSTORE_BACKUP_REPOSITORY: location.url, DOCSTORE_BACKUP_PASSPHRASE: PASSPHRASE };
        expect((await runDocstore(['backup', 'init', location.url, '--recipient', keys.files.publicKey], repoEnv, { timeoutMs: 120_000 })).code).toBe(0);
        const ran = await runDocstore(['backup', 'run', '--json'], repoEnv, { timeoutMs: 120_000, maxBufferBytes: 16 << 20 });
        expect(ran.code, ran.stderr).toBe(0);
        const { snapshotId } = JSON.parse(ran.stdout) as { snapshotId: string };
        // An empty installation of the same kind: a fresh data directory, database and key prefix.
        const fresh: Record<string, string> = { DATA_DIR: target };
        if (fixture.config.database.dialect === 'postgres') fresh.DATABASE_URL = await createTestDatabase();
        if (fixture.config.storage.backend === 's3') fresh.S3_KEY_PREFIX = `audit-restore-${randomBytes(4).toString('hex')}/`;
        const restored = await runDocstore(['backup', 'restore', '--identity', keys.files.privateKey, '--json'], { ...repoEnv, ...fresh }, { timeoutMs: 120_000, maxBufferBytes: 16 << 20 });
        // Exit 3 when some document could not be restored (the reconcile test above lost an object on purpose): recorded all the same.
        expect([0, 3], restored.stderr).toContain(restored.code);
        const restoredSummary = JSON.parse(restored.stdout) as { failures: unknown[] };

        const restoredConfig = loadConfig({ DOCSTORE_JWT_SECRET: 'x'.repeat(40), ...(fresh.DATABASE_URL === undefined ? {} : { DATABASE_URL: fresh.DATABASE_URL }), DATA_DIR: target });
        const { db } = openDatabase(restoredConfig.database);
        try {
          const entries = await auditEntries(db);
          // The last entry: after whatever trail the snapshot's database brought back.
          const restore = entries.length - 1;
          expect(entries.filter((entry) => entry.action === 'backup.restore')).toHaveLength(1);
          expect(entries[restore]).toMatchObject({
            organizationId: INSTANCE_CHAIN,
            actor: { kind: 'cli', subject: 'operator-jo', role: null },
            requestId: 'backup restore',
            details: { snapshotId, failures: restoredSummary.failures.length, force: false },
          });
          expect(entries[restore]?.chainSeq).toBeGreaterThan(0);
        } finally {
          await db.destroy();
        }
      } finally {
        await location.close();
        await keys.close();
        await rm(target, { recursive: true, force: true });
      }
    }, 300_000);

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
