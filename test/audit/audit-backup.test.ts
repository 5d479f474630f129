import { execFile } from 'node:child_process';
import { randomUUID, verify as verifySignature } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { entryHash } from '../../src/audit/audit-chain.js';
import { checkpointStatement, type SignedCheckpoint } from '../../src/audit/evidence/audit-checkpoint.js';
import { verifyAuditTrail } from '../../src/audit/evidence/audit-verifier.js';
import { CheckpointKey } from '../../src/audit/evidence/checkpoint-key.js';
import { BackupRepository } from '../../src/backup/repository/backup-repository.js';
import { readManifest, restoreSnapshot } from '../../src/backup/backup-restore.js';
import { initRepository } from '../../src/backup/backup-setup.js';
import { snapshotCheckpoints } from '../../src/backup/snapshot-checkpoints.js';
import { backUpService, backupKeys, PASSPHRASE, s3RepositoryLocation, type BackupKeys, type RepositoryLocation } from '../support/backup-fixture.js';
import { runDocstoreSources } from '../support/docstore-cli.js';
import { s3EnvironmentOf } from '../support/s3-target.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix } from '../support/streams.js';

const run = promisify(execFile);
const docstore = runDocstoreSources;

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`audit checkpoints in backups on ${pairName}, repository on S3 (RGW)`, () => {
    let source: ServiceFixture;
    let keys: BackupKeys;
    let location: RepositoryLocation;
    let repository: BackupRepository;
    let env: Record<string, string>;
    const organizationId = randomUUID();

    async function record(count: number): Promise<void> {
      for (let index = 0; index < count; index++) {
        await source.service.audit.log.record(source.service.db, {
          action: 'document.download',
          actor: { kind: 'user', subject: `owner-${index}`, role: 'owner', clientAddress: '192.0.2.1' },
          organizationId,
          documentId: randomUUID(),
        });
      }
    }

    beforeAll(async () => {
      const keyPrefix = `audit-backup-${randomPrefix()}/`;
      const s3 = pairName.startsWith('S3');
      source = await factory({ env: s3 ? { S3_KEY_PREFIX: keyPrefix } : {} });
      const config = source.config;
      keys = await backupKeys();
      location = await s3RepositoryLocation();
      repository = (await initRepository(location.storage, [keys.publicKey], config.dataDir)).repository;
      env = {
        DATA_DIR: config.dataDir,
        LOG_LEVEL: 'silent',
        ...location.env,
        ...(config.storage.backend === 's3' ? s3EnvironmentOf(inject('s3'), config.storage.bucket, keyPrefix) : {}),
        ...(config.database.dialect === 'postgres' ? { DATABASE_URL: config.database.url } : {}),
      };
      await record(6);
      await backUpService(source, repository);
      await record(4);
      await backUpService(source, repository);
    });
    afterAll(async () => {
      await source?.close();
      await location?.close();
      await keys?.close();
    });

    it("every snapshot's manifest carries a signed checkpoint of each chain's head, readable with stock gpg and checkable with the public key", async () => {
      const snapshots = await repository.snapshots();
      expect(snapshots).toHaveLength(2);
      const seqs = [];
      for (const snapshot of snapshots) {
        const manifest = await readManifest(repository, snapshot, [keys.privateKey]);
        seqs.push(manifest.auditCheckpoints?.find((checkpoint) => checkpoint.organizationId === organizationId)?.seq);
      }
      expect(seqs).toEqual([6, 10]);

      const home = await mkdtemp(join(tmpdir(), 'docstore-gnupg-'));
      try {
        const gpg = (...args: string[]) => run('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', PASSPHRASE, ...args], { encoding: 'buffer', maxBuffer: 16 << 20 });
        await gpg('--import', keys.files.privateKey);
        const file = join(home, 'manifest');
        const name = snapshots[1]!.manifest.name;
        await writeFile(file, await buffer((await location.storage.get(`data/${name.slice(0, 2)}/${name}`)).body));
        const manifest = JSON.parse((await gpg('--decrypt', file)).stdout.toString('utf8').trimEnd()) as { auditCheckpoints: SignedCheckpoint[] };
        const checkpoint = manifest.auditCheckpoints.find((item) => item.organizationId === organizationId)!;
        const publicKey = await docstore(['audit', 'public-key'], env);
        expect(publicKey.code, publicKey.stderr).toBe(0);
        expect(publicKey.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);
        const { signature, ...statement } = checkpoint;
        expect(verifySignature(null, checkpointStatement(statement), publicKey.stdout, Buffer.from(signature, 'base64'))).toBe(true);
      } finally {
        await rm(home, { recursive: true, force: true });
      }
    });

    it("a database rewritten with recomputed hashes and its checkpoints deleted passes on its own, and fails against the backups' checkpoints (library and CLI)", async () => {
      const db = source.service.db;
      const key = (await CheckpointKey.load(source.config.audit.checkpointKeyFile))!;
      // The rewrite: entry 3 changed, every hash after it recomputed, the head moved, the database's checkpoints gone.
      const rows = await db.selectFrom('audit_entries').selectAll().where('organization_id', '=', organizationId).orderBy('chain_seq').execute();
      let previous = rows[1]!.entry_hash!;
      for (const row of rows.slice(2)) {
        const changed = Number(row.chain_seq) === 3 ? { ...row, actor_subject: 'someone-else' } : row;
        const hash = entryHash(changed, Number(row.chain_seq), previous);
        await db.updateTable('audit_entries').set({ actor_subject: changed.actor_subject, previous_hash: previous, entry_hash: hash }).where('id', '=', row.id).execute();
        previous = hash;
      }
      await db.updateTable('audit_chain_heads').set({ hash: previous }).where('organization_id', '=', organizationId).execute();
      await db.deleteFrom('audit_checkpoints').where('organization_id', '=', organizationId).execute();

      const alone = await verifyAuditTrail(db, { organizationId, trustedKeys: [key.publicKey] });
      expect(alone.ok).toBe(true);
      const { checkpoints } = await snapshotCheckpoints(repository, [keys.privateKey]);
      const against = await verifyAuditTrail(db, { organizationId, trustedKeys: [key.publicKey], external: checkpoints });
      expect(against.chains[0]!.firstBroken).toMatchObject({ seq: 6, kind: 'checkpoint_mismatch', checkpoint: { source: `snapshot ${(await repository.snapshots())[0]!.id}` } });
      expect(against.chains[0]!.problems.map((problem) => problem.seq)).toEqual([6, 10]);

      const cli = await docstore(['audit', 'verify', '--organization', organizationId, '--backup', location.url, '--identity', keys.files.privateKey, '--passphrase-file', keys.files.passphrase, '--json'], env);
      expect(cli.code, cli.stderr).toBe(3);
      const report = JSON.parse(cli.stdout) as { ok: boolean; backup: { snapshots: number }; chains: Array<{ firstBroken: { seq: number; kind: string } }> };
      expect(report).toMatchObject({ ok: false, backup: { snapshots: 2 }, chains: [{ firstBroken: { seq: 6, kind: 'checkpoint_mismatch' } }] });
      const text = await docstore(['audit', 'verify', '--organization', organizationId], env);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain('the trail holds');
      const usage = await docstore(['audit', 'verify', '--backup', location.url], env);
      expect(usage.code).toBe(2);
    });

    it('a restore brings the trail back whole: it verifies on the target, and new entries continue after the restored ids', async () => {
      const target = await factory({ env: pairName.startsWith('S3') ? { S3_KEY_PREFIX: `audit-restore-${randomPrefix()}/` } : {} });
      try {
        const snapshot = await repository.findSnapshot('latest');
        await restoreSnapshot({ repository, snapshot, keys: [keys.privateKey], storage: target.service.storage, db: target.service.db });
        const key = (await CheckpointKey.load(source.config.audit.checkpointKeyFile))!;
        const restored = await verifyAuditTrail(target.service.db, { organizationId, trustedKeys: [key.publicKey], sealer: target.service.audit.sealer });
        // The latest snapshot's dump holds the database's two checkpoints (seq 6 and 10), both verified.
        expect(restored).toMatchObject({ ok: true, entries: 10, checkpoints: 2 });
        const before = await target.service.db.selectFrom('audit_entries').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow();
        const entry = await target.service.audit.log.record(target.service.db, { action: 'backup.restore', actor: { kind: 'cli', subject: 'test', role: null }, organizationId });
        expect(entry.id).toBeGreaterThan(Number(before.id));
        const after = await verifyAuditTrail(target.service.db, { organizationId, trustedKeys: [key.publicKey], sealer: target.service.audit.sealer });
        expect(after).toMatchObject({ ok: true, entries: 11 });
      } finally {
        await target.close();
      }
    });
  });
}
