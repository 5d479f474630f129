import { createHash } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveManifest } from '../../src/handover/archive/archive-manifest.js';
import { hasErrorCode } from '../../src/errors/docstore-error.js';
import { damageInPlace } from '../support/damage.js';
import { ORG_A, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { exportToFile, gpgVerify, populateBuilding, run, type PopulatedBuilding } from './handover-fixture.js';

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`building export on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let building: PopulatedBuilding;
    const dirs: string[] = [];

    beforeAll(async () => {
      fixture = await factory();
      await fixture.service.handover.keys.create(ORG_A, 'Syndic Dupont SRL');
      building = await populateBuilding(fixture);
    });
    afterAll(async () => {
      await fixture?.close();
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    });

    it('writes a ZIP that unzip extracts, sha256sum -c and gpg --verify (public key alone) accept, with every version byte for byte', async () => {
      const { file, dir } = await exportToFile(fixture, { buildingId: building.buildingId, includeTrash: true });
      dirs.push(dir);
      const extracted = join(dir, 'out');
      const unzip = await run('unzip', ['-q', file, '-d', extracted]);
      expect(unzip.code, unzip.stderr).toBe(0);
      const [root] = await readdir(extracted);
      expect(root).toMatch(/^Résidence Les Tilleuls — Ξ 東京 - docstore \d{4}-\d{2}-\d{2}$/);
      const rootDir = join(extracted, root!);
      const sums = await run('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: rootDir });
      expect(sums.code, sums.stdout + sums.stderr).toBe(0);
      const publicKey = await fixture.service.handover.keys.publicKeyOf(ORG_A);
      const verified = await gpgVerify(rootDir, publicKey);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toContain('[GNUPG:] GOODSIG');
      const python = await run('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist()))', file]);
      expect(python.code, python.stderr).toBe(0);

      const manifest = JSON.parse(await readFile(join(rootDir, 'manifest.json'), 'utf8')) as ArchiveManifest;
      expect(manifest.documents).toHaveLength(50);
      expect(manifest.building.financialYearEnd).toEqual({ month: 6, day: 30 });
      const versionCount = manifest.documents.reduce((sum, document) => sum + document.versions.length, 0);
      expect(versionCount).toBe(building.versions.size);
      for (const document of manifest.documents) {
        for (const version of document.versions) {
          expect(await sha256File(join(rootDir, version.path)), version.path).toBe(building.versions.get(`${document.id}/${version.version}`));
        }
      }
      const trashed = manifest.documents.find((document) => document.id === building.trashedId);
      expect(trashed?.deletedAt).not.toBeNull();
      expect(trashed?.versions[0]?.path.startsWith('trash/')).toBe(true);
      expect(manifest.documents.find((document) => document.id === building.heldId)?.legalHold).toEqual({ active: true, scope: 'document' });
      expect(manifest.legalHolds.map((hold) => hold.reason)).toContain('Litige entrepreneur façade');
      // Two documents of one title and date still get folders of their own; no path leaves the root.
      const paths = manifest.documents.flatMap((document) => document.versions.map((version) => version.path));
      expect(new Set(paths.map((path) => path.toLowerCase())).size).toBe(paths.length);
      for (const path of paths) expect(path).toMatch(/^(documents|trash)\/[a-z_]+\/[^/]+\/v\d+ [^/]+$/);
      const csv = await readFile(join(rootDir, 'manifest.csv'), 'utf8');
      expect(csv.split('\r\n').filter((line) => line !== '')).toHaveLength(versionCount + 1);
      const readme = await readFile(join(rootDir, 'README.txt'), 'utf8');
      for (const heading of ['FRANÇAIS', 'NEDERLANDS', 'ENGLISH', 'sha256sum -c SHA256SUMS', 'gpg --verify SHA256SUMS.asc SHA256SUMS', manifest.signingKeyFingerprint.slice(0, 4)]) expect(readme).toContain(heading);
    });

    it('leaves the trash out unless asked', async () => {
      const { file, dir } = await exportToFile(fixture, { buildingId: building.buildingId });
      dirs.push(dir);
      const listing = await run('unzip', ['-Z1', file]);
      expect(listing.code).toBe(0);
      expect(listing.stdout).not.toContain('/trash/');
      expect(listing.stdout.split('\n').filter((line) => line.includes('/documents/')).length).toBeGreaterThan(49);
    });

    it('stops at a damaged object (the document becomes broken), then exports without it, listed as excluded', async () => {
      const damaged = building.documents[12]!;
      const storageKey = (await fixture.service.db.selectFrom('documents').select('storage_key').where('id', '=', damaged.id).executeTakeFirstOrThrow()).storage_key;
      await damageInPlace(fixture, storageKey, 100);
      const failure = await exportToFile(fixture, { buildingId: building.buildingId }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(hasErrorCode(failure, 'handover.document_damaged'), String(failure)).toBe(true);
      const row = await fixture.service.db.selectFrom('documents').select('status').where('id', '=', damaged.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('broken');

      const { file, dir } = await exportToFile(fixture, { buildingId: building.buildingId });
      dirs.push(dir);
      const extracted = join(dir, 'out');
      expect((await run('unzip', ['-q', file, '-d', extracted])).code).toBe(0);
      const [root] = await readdir(extracted);
      const manifest = JSON.parse(await readFile(join(extracted, root!, 'manifest.json'), 'utf8')) as ArchiveManifest;
      expect(manifest.excluded).toEqual([{ documentId: damaged.id, title: damaged.title, reason: 'damaged' }]);
      expect(manifest.documents.some((document) => document.id === damaged.id)).toBe(false);
      expect((await run('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: join(extracted, root!) })).code).toBe(0);
      // Put the bytes back for the other tests of this file.
      await damageInPlace(fixture, storageKey, 100);
      await fixture.service.db.updateTable('documents').set({ status: 'active' }).where('id', '=', damaged.id).execute();
    });
  });
}
