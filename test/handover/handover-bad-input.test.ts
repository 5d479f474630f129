import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVerificationKeys, type VerificationKey } from '../../src/handover/archive/archive-signature.js';
import { insertExport, runningExportRow } from '../../src/handover/export-job-repository.js';
import { localSqliteService, ORG_A, ORG_B, type ServiceFixture } from '../support/service-fixture.js';
import { exportToFile, populateBuilding, run, type PopulatedBuilding } from './handover-fixture.js';

describe('handover: bad input answers a stable code', () => {
  let fixture: ServiceFixture;
  let target: ServiceFixture;
  let building: PopulatedBuilding;
  let keys: VerificationKey[];
  let work: string;
  let archive: string;

  beforeAll(async () => {
    fixture = await localSqliteService();
    target = await localSqliteService();
    await fixture.service.handover.keys.create(ORG_A, 'Syndic');
    building = await populateBuilding(fixture, { count: 5, bigBytes: 5000 });
    keys = await readVerificationKeys(await fixture.service.handover.keys.publicKeyOf(ORG_A), 'key');
    work = await mkdtemp(join(tmpdir(), 'docstore-handover-bad-'));
    const exported = await exportToFile(fixture, { buildingId: building.buildingId });
    archive = join(work, 'archive.zip');
    await cp(exported.file, archive);
    await rm(exported.dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await Promise.all([fixture?.close(), target?.close()]);
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const importing = (file: string) => target.service.handover.importer.import({ file, organizationId: ORG_B, keys, importedBy: 'test' }).then(
      () => ({ code: 'imported', message: '', context: undefined }) as { code?: string; message: string; context?: unknown },
      (error: unknown) => error as { code?: string; message: string; context?: unknown },
    );

  it('handover.archive_invalid: not a ZIP, files outside one folder, no SHA256SUMS', async () => {
    const text = join(work, 'not-a-zip.zip');
    await writeFile(text, 'PK but not really a zip file at all');
    expect((await importing(text)).code).toBe('handover.archive_invalid');

    const loose = join(work, 'loose');
    await writeFile(join(work, 'a.txt'), 'a');
    expect((await run('zip', ['-q', `${loose}.zip`, 'a.txt'], { cwd: work })).code).toBe(0);
    expect((await importing(`${loose}.zip`)).code).toBe('handover.archive_invalid');

    await writeFile(join(work, 'b.txt'), 'b');
    expect((await run('sh', ['-c', 'mkdir -p folder && cp a.txt b.txt folder/ && zip -q -r nosums.zip folder'], { cwd: work })).code).toBe(0);
    const noSums = await importing(join(work, 'nosums.zip'));
    expect(noSums.code).toBe('handover.archive_invalid');
    expect(noSums.message).toContain('SHA256SUMS');
  });

  it('handover.checksum_mismatch names a file added to the archive (unlisted)', async () => {
    const added = join(work, 'added.zip');
    await cp(archive, added);
    // Python's zipfile appends an entry under the archive's own root folder.
    const append = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'a')\nroot = z.namelist()[0].split('/')[0]\nz.writestr(root + '/documents/extra.pdf', b'extra')\nz.close()";
    expect((await run('python3', ['-c', append, added])).code).toBe(0);
    const failure = await importing(added);
    expect(failure.code, failure.message).toBe('handover.checksum_mismatch');
    expect(failure.context).toMatchObject({ files: [{ path: 'documents/extra.pdf', problem: 'unlisted' }] });
    expect(await target.service.db.selectFrom('documents').select('id').execute()).toEqual([]);
  });

  it('handover.conflict: a second key for an organisation, a transfer to its own organisation; building.not_found for an unknown building', async () => {
    await expect(fixture.service.handover.keys.create(ORG_A, 'again')).rejects.toMatchObject({ code: 'handover.conflict' });
    const superadmin = { authorization: `Bearer ${await fixture.token('superadmin')}` };
    const same = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building.buildingId}/transfer`, payload: { organizationId: ORG_A }, headers: superadmin });
    expect(same.statusCode).toBe(409);
    expect(same.json()).toMatchObject({ code: 'handover.conflict' });
    const unknown = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${randomUUID()}/transfer`, payload: { organizationId: ORG_B }, headers: superadmin });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'building.not_found' });
    await expect(fixture.service.handover.keys.signingKeyOf('../etc')).rejects.toMatchObject({ code: 'handover.usage' });
  });

  it('handover.export_not_found and handover.export_not_ready on the API', async () => {
    const syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
    const missing = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${building.buildingId}/exports/${randomUUID()}`, headers: syndic });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'handover.export_not_found' });
    const id = randomUUID();
    await insertExport(
      fixture.service.db,
      runningExportRow({ id, organization_id: ORG_A, building_id: building.buildingId, include_trash: 0, requested_by: 'test', created_at: new Date().toISOString(), lease_owner: null, lease_expires_at: null }),
    );
    const early = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building.buildingId}/exports/${id}/download-url`, payload: {}, headers: syndic });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'handover.export_not_ready' });
    const invalid = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building.buildingId}/exports`, payload: { includeTrash: 'yes' }, headers: syndic });
    expect(invalid.statusCode).toBe(400);
  });
});
