import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveManifest } from '../../src/handover/archive/archive-manifest.js';
import { readSigningKey, readVerificationKeys } from '../../src/handover/archive/archive-signature.js';
import { BuildingExporter } from '../../src/handover/building-exporter.js';
import type { HandoverRecorder } from '../../src/handover/handover-recorder.js';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { localSqliteService, ORG_A, ORG_B, s3PostgresService, type FixtureFactory, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix, sha256 } from '../support/streams.js';
import { exportToFile, gpgVerify, populateBuilding, run, type PopulatedBuilding } from './handover-fixture.js';

const MASTER_KEYS = `2026-12:${randomBytes(32).toString('base64')}`;

const encrypted: Array<[string, FixtureFactory]> = [
  ['client-side encryption, local + SQLite', localSqliteService],
  ['client-side encryption, S3 (RGW) + PostgreSQL', s3PostgresService],
];

for (const [name, factory] of encrypted) {
  describe(`building export on ${name}`, () => {
    let fixture: ServiceFixture;
    let building: PopulatedBuilding;
    const dirs: string[] = [];

    beforeAll(async () => {
      fixture = await factory({ env: { DOCSTORE_MASTER_KEYS: MASTER_KEYS, ...(name.includes('S3') ? { S3_KEY_PREFIX: `handover-${randomPrefix()}/` } : {}) } });
      await fixture.service.handover.keys.create(ORG_A, 'Syndic chiffré');
      building = await populateBuilding(fixture, { count: 12, bigBytes: 3 * 1024 * 1024 });
    });
    afterAll(async () => {
      await fixture?.close();
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    });

    it('holds the plaintext of every version (read through the storage port); importing it into the same installation again is refused (a transfer moves a building)', async () => {
      const { file, dir } = await exportToFile(fixture, { buildingId: building.buildingId, includeTrash: true });
      dirs.push(dir);
      const out = join(dir, 'out');
      expect((await run('unzip', ['-q', file, '-d', out])).code).toBe(0);
      const [root] = await readdir(out);
      const manifest = JSON.parse(await readFile(join(out, root!, 'manifest.json'), 'utf8')) as ArchiveManifest;
      for (const document of manifest.documents) {
        for (const version of document.versions) expect(sha256(await readFile(join(out, root!, version.path)))).toBe(building.versions.get(`${document.id}/${version.version}`));
      }
      expect((await run('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: join(out, root!) })).code).toBe(0);
      const keys = await readVerificationKeys(await fixture.service.handover.keys.publicKeyOf(ORG_A), 'key');
      const copyId = '0190b000-0000-7000-8000-0000000000c1';
      const documentsConflict = await fixture.service.handover.importer.import({ file, organizationId: ORG_B, buildingId: copyId, keys, importedBy: 'test' }).catch((error: unknown) => error);
      expect((documentsConflict as { code?: string }).code).toBe('handover.conflict');
    });
  });
}

describe('signing keys and ZIP64', () => {
  let fixture: ServiceFixture;
  let building: PopulatedBuilding;
  let gnupg: string;

  beforeAll(async () => {
    fixture = await localSqliteService();
    building = await populateBuilding(fixture, { count: 8, bigBytes: 100_000 });
    await fixture.service.handover.keys.create(ORG_A, 'Syndic');
    gnupg = await mkdtemp(join(tmpdir(), 'docstore-gnupg-'));
  });
  afterAll(async () => {
    await fixture?.close();
    if (gnupg !== undefined) await rm(gnupg, { recursive: true, force: true });
  });

  it('signs with a key made by gpg (protected by a passphrase): gpg --verify and docstore import accept it', async () => {
    const env = { ...process.env, GNUPGHOME: gnupg };
    const made = await run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', 'correct horse', '--quick-gen-key', 'Syndic Gpg <gpg@example.be>', 'ed25519', 'sign', 'never'], { env });
    expect(made.code, made.stderr).toBe(0);
    const secret = await run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', 'correct horse', '--armor', '--export-secret-keys', 'gpg@example.be'], { env });
    const publicKey = await run('gpg', ['--batch', '--armor', '--export', 'gpg@example.be'], { env });
    expect(secret.code, secret.stderr).toBe(0);
    await expect(readSigningKey(secret.stdout, undefined, 'gpg key')).rejects.toMatchObject({ code: 'handover.key_invalid' });
    await expect(readSigningKey(secret.stdout, 'wrong', 'gpg key')).rejects.toMatchObject({ code: 'handover.key_invalid' });
    const signingKey = await readSigningKey(secret.stdout, 'correct horse', 'gpg key');
    const { file, dir } = await exportToFile(fixture, { buildingId: building.buildingId, signingKey });
    try {
      const out = join(dir, 'out');
      expect((await run('unzip', ['-q', file, '-d', out])).code).toBe(0);
      const [root] = await readdir(out);
      const verified = await gpgVerify(join(out, root!), publicKey.stdout);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toContain('[GNUPG:] VALIDSIG');
      const target = await localSqliteService();
      try {
        const report = await target.service.handover.importer.import({ file, organizationId: ORG_A, keys: await readVerificationKeys(publicKey.stdout, 'gpg'), importedBy: 'test' });
        expect(report.documentsImported).toBe(7);
      } finally {
        await target.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('writes ZIP64 records that unzip, Python and the importer read', async () => {
    const { file, dir } = await exportToFile(fixture, { buildingId: building.buildingId, forceZip64: true });
    try {
      const bytes = await readFile(file);
      // ZIP64 end of central directory record and locator.
      expect(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
      expect(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBe(true);
      const tested = await run('unzip', ['-tq', file]);
      expect(tested.code, tested.stdout + tested.stderr).toBe(0);
      const python = await run('python3', ['-c', 'import sys, zipfile; assert zipfile.ZipFile(sys.argv[1]).testzip() is None', file]);
      expect(python.code, python.stderr).toBe(0);
      const target = await localSqliteService();
      try {
        const report = await target.service.handover.importer.import({ file, organizationId: ORG_A, keys: await readVerificationKeys(await fixture.service.handover.keys.publicKeyOf(ORG_A), 'key'), importedBy: 'test' });
        expect(report.documentsImported).toBe(7);
      } finally {
        await target.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('puts the building’s audit trail in the archive (listed in SHA256SUMS), recording the export first so that the trail holds it', async () => {
    const recorded: unknown[] = [];
    const recorder: HandoverRecorder = {
      exported: async (record, actor) => {
        recorded.push({ action: 'building.export', actor, details: record });
      },
      imported: async () => {},
      transferred: async () => {},
      trail: async function* (buildingId) {
        for (let index = 0; index < 3; index++) yield `${JSON.stringify({ id: index, action: 'document.upload', buildingId, details: { title: 'Facture é' } })}\n`;
        for (const entry of recorded) yield `${JSON.stringify(entry)}\n`;
      },
    };
    const exporter = new BuildingExporter({
      db: fixture.service.db,
      storage: fixture.service.storage,
      integrity: fixture.service.integrity,
      protection: fixture.service.documents.protection,
      recorder,
    });
    const signingKey = await fixture.service.handover.keys.signingKeyOf(ORG_A);
    const opened = await exporter.open({ buildingId: building.buildingId, signingKey, requestedBy: 'test' });
    const dir = await mkdtemp(join(tmpdir(), 'docstore-handover-'));
    try {
      await pipeline(opened.output, createWriteStream(join(dir, 'a.zip')));
      expect(opened.manifest.auditTrail).toEqual({ path: 'audit/audit-trail.jsonl', entries: 4 });
      const out = join(dir, 'out');
      expect((await run('unzip', ['-q', join(dir, 'a.zip'), '-d', out])).code).toBe(0);
      const [root] = await readdir(out);
      expect((await run('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: join(out, root!) })).code).toBe(0);
      expect(await readFile(join(out, root!, 'SHA256SUMS'), 'utf8')).toContain('  audit/audit-trail.jsonl\n');
      const lines = (await readFile(join(out, root!, 'audit/audit-trail.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { action: string; details: { archiveId?: string } });
      expect(lines).toHaveLength(4);
      expect(lines[3]).toMatchObject({ action: 'building.export', details: { archiveId: opened.manifest.archiveId } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

