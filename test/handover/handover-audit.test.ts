import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportJob } from '../../src/handover/export-jobs.js';
import { readVerificationKeys } from '../../src/handover/archive/archive-signature.js';
import type { ArchiveManifest } from '../../src/handover/archive/archive-manifest.js';
import { registerBuilding } from '../support/buildings.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix } from '../support/streams.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';
import { run } from './handover-fixture.js';

async function entries(fixture: ServiceFixture, action: string): Promise<Array<{ organization_id: string; building_id: string | null; actor_subject: string | null; details: unknown }>> {
  const rows = await fixture.service.db.selectFrom('audit_entries').select(['organization_id', 'building_id', 'actor_subject', 'details']).where('action', '=', action as never).orderBy('id').execute();
  return rows.map((row) => ({ ...row, details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details }));
}

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`handover in the audit trail on ${pairName}`, () => {
    let source: ServiceFixture;
    let target: ServiceFixture;
    let buildingId: string;
    let work: string;

    beforeAll(async () => {
      const prefix = () => (pairName.startsWith('S3') ? { env: { S3_KEY_PREFIX: `handover-audit-${randomPrefix()}/` } } : {});
      source = await factory({ listen: true, ...prefix() });
      target = await factory(prefix());
      await source.service.handover.keys.create(ORG_A, 'Syndic');
      buildingId = await registerBuilding(source, { name: 'Résidence Audit' });
      const auth = { authorization: `Bearer ${await source.token('syndic')}` };
      for (let index = 0; index < 2; index++) {
        const { payload, headers } = documentUpload({ title: `Facture ${index}`, content: pdfOfSize(20_000 + index) });
        const response = await source.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, ...auth } });
        expect(response.statusCode, response.body).toBe(201);
      }
      work = await mkdtemp(join(tmpdir(), 'docstore-handover-audit-'));
    });
    afterAll(async () => {
      await Promise.all([source?.close(), target?.close()]);
      if (work !== undefined) await rm(work, { recursive: true, force: true });
    });

    it('records the export, puts the building’s trail (with that export) in the archive, records the import and the transfer', async () => {
      const syndic = { authorization: `Bearer ${await source.token('syndic', { sub: 'syndic-dupont' })}` };
      const started = await source.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports`, payload: {}, headers: syndic });
      expect(started.statusCode, started.body).toBe(202);
      const job = started.json() as ExportJob;
      await source.service.handover.jobs.settled();
      const link = await source.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports/${job.id}/download-url`, payload: {}, headers: syndic });
      const archive = join(work, 'archive.zip');
      await writeFile(archive, Buffer.from(await (await fetch((link.json() as { url: string }).url)).arrayBuffer()));
      const out = join(work, 'out');
      expect((await run('unzip', ['-q', archive, '-d', out])).code).toBe(0);
      const [root] = await readdir(out);
      const manifest = JSON.parse(await readFile(join(out, root!, 'manifest.json'), 'utf8')) as ArchiveManifest;
      expect(manifest.auditTrail?.path).toBe('audit/audit-trail.jsonl');
      expect((await run('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: join(out, root!) })).code).toBe(0);
      const trail = (await readFile(join(out, root!, 'audit/audit-trail.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { action: string; details: string | { archiveId?: string } | null })
        .map((entry) => ({ ...entry, details: typeof entry.details === 'string' ? (JSON.parse(entry.details) as { archiveId?: string }) : entry.details }));
      expect(trail).toHaveLength(manifest.auditTrail!.entries);
      expect(trail.filter((entry) => entry.action === 'document.upload')).toHaveLength(2);
      expect(trail.at(-1)).toMatchObject({ action: 'building.export', details: { archiveId: manifest.archiveId } });
      const exported = await entries(source, 'building.export');
      expect(exported).toHaveLength(1);
      expect(exported[0]).toMatchObject({ organization_id: ORG_A, building_id: buildingId, actor_subject: 'syndic-dupont' });

      const keys = await readVerificationKeys(await source.service.handover.keys.publicKeyOf(ORG_A), 'source');
      await target.service.handover.importer.import({ file: archive, organizationId: ORG_B, keys, importedBy: 'test' });
      const imported = await entries(target, 'building.import');
      expect(imported).toHaveLength(1);
      expect(imported[0]).toMatchObject({ organization_id: ORG_B, building_id: buildingId, details: { archiveId: manifest.archiveId, documentsImported: 2 } });

      const superadmin = { authorization: `Bearer ${await source.token('superadmin')}` };
      const moved = await source.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/transfer`, payload: { organizationId: ORG_B }, headers: superadmin });
      expect(moved.statusCode, moved.body).toBe(200);
      const transfers = (await entries(source, 'building.update')).filter((entry) => (entry.details as { transfer?: boolean } | null)?.transfer === true);
      expect(transfers.map((entry) => entry.organization_id).sort()).toEqual([ORG_A, ORG_B].sort());
      expect(transfers[0]?.details).toMatchObject({ changes: { organizationId: { from: ORG_A, to: ORG_B } } });
    });
  });
}
