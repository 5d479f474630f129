import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import * as repository from '../../src/handover/export-job-repository.js';
import type { ExportJob } from '../../src/handover/export-jobs.js';
import { exportKey } from '../../src/handover/export-location.js';
import { registerBuilding } from '../support/buildings.js';
import { ORG_A, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

/** Export jobs keep a heartbeat: one whose instance stopped is marked failed by another instance sharing the database. */
for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`export jobs whose instance stopped, on ${pairName}`, () => {
    let first: ServiceFixture;
    let second: ServiceFixture;
    let buildingId: string;

    beforeAll(async () => {
      first = await factory();
      second = await factory({ shareWith: first });
      buildingId = await registerBuilding(first, { name: 'Résidence Horizon' });
      const { payload, headers } = documentUpload({ type: 'invoice', title: 'Facture', content: pdfOfSize(20_000) });
      const uploaded = await first.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, authorization: `Bearer ${await first.token('syndic')}` } });
      expect(uploaded.statusCode, uploaded.body).toBe(201);
      // Each instance reads the organisation's signing key from its own data directory (shared on SQLite).
      for (const fixture of [first, second]) await fixture.service.handover.keys.signingKeyOf(ORG_A).catch(() => fixture.service.handover.keys.create(ORG_A, 'Syndic Horizon'));
    });
    afterAll(async () => {
      await second?.close();
      await first?.close();
    });

    /** Writes a running job's row as an instance would have left it. */
    async function runningRow(lease: { owner: string | null; expiresAt: Date | null }): Promise<string> {
      const id = uuidv7();
      await repository.insertExport(
        first.service.db,
        repository.runningExportRow({
          id,
          organization_id: ORG_A,
          building_id: buildingId,
          include_trash: 0,
          requested_by: 'user-syndic',
          created_at: new Date(Date.now() - 120_000).toISOString(),
          lease_owner: lease.owner,
          lease_expires_at: lease.expiresAt === null ? null : lease.expiresAt.toISOString(),
        }),
      );
      return id;
    }

    it('reports failed a job whose instance stopped (its heartbeat lapsed), deletes what it wrote, leaves a live one alone, and a new export succeeds', async () => {
      const syndic = { authorization: `Bearer ${await second.token('syndic')}` };
      const dead = await runningRow({ owner: 'a-stopped-instance', expiresAt: new Date(Date.now() - 1000) });
      const legacy = await runningRow({ owner: null, expiresAt: null });
      const live = await runningRow({ owner: 'a-live-instance', expiresAt: new Date(Date.now() + 600_000) });
      // What the stopped instance had written of its archive.
      await first.service.storage.put(exportKey(ORG_A, dead), Buffer.from('PK\u0003\u0004 partial archive'));

      const listed = await second.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${buildingId}/exports`, headers: syndic });
      expect(listed.statusCode, listed.body).toBe(200);
      const byId = new Map((listed.json() as { items: ExportJob[] }).items.map((job) => [job.id, job]));
      for (const id of [dead, legacy]) {
        const job = byId.get(id);
        expect(job).toMatchObject({ status: 'failed', error: { code: 'handover.export_abandoned' } });
        expect(job?.error?.message).toContain('start a new export');
        expect(job?.finishedAt).not.toBeNull();
      }
      expect(byId.get(live)).toMatchObject({ status: 'running', error: null, finishedAt: null });
      expect(await first.service.storage.exists(exportKey(ORG_A, dead))).toBe(false);
      const liveRow = await repository.findExport(first.service.db, live);
      expect(liveRow?.lease_owner).toBe('a-live-instance');

      // The first instance sees the same final state; its download is refused as not ready.
      const seen = await first.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${buildingId}/exports/${dead}`, headers: { authorization: `Bearer ${await first.token('syndic')}` } });
      expect(seen.json()).toMatchObject({ status: 'failed', error: { code: 'handover.export_abandoned' } });
      const link = await second.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports/${dead}/download-url`, payload: {}, headers: syndic });
      expect(link.statusCode).toBe(409);
      expect(link.json()).toMatchObject({ code: 'handover.export_not_ready' });
      // A failed job can be removed.
      const removed = await second.service.app.inject({ method: 'DELETE', url: `/api/v1/buildings/${buildingId}/exports/${dead}`, headers: syndic });
      expect(removed.statusCode, removed.body).toBe(204);

      // The client asks again: a new export on the surviving instance succeeds.
      const started = await second.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports`, payload: {}, headers: syndic });
      expect(started.statusCode, started.body).toBe(202);
      const job = started.json() as ExportJob;
      await second.service.handover.jobs.settled();
      const ready = await second.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${buildingId}/exports/${job.id}`, headers: syndic });
      expect(ready.json()).toMatchObject({ status: 'ready', documents: 1, error: null });
      const row = await repository.findExport(first.service.db, job.id);
      expect(row).toMatchObject({ lease_owner: null, lease_expires_at: null });

      // The live job is still running, untouched, after a check of every instance.
      expect(await first.service.handover.jobs.failAbandoned()).toEqual([]);
      expect((await repository.findExport(first.service.db, live))?.status).toBe('running');
    });

    it('holds a lease on a job while it runs, in the name of the instance running it', async () => {
      const syndic = { authorization: `Bearer ${await first.token('syndic')}` };
      const started = await first.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports`, payload: {}, headers: syndic });
      expect(started.statusCode, started.body).toBe(202);
      const job = started.json() as ExportJob;
      const row = await repository.findExport(first.service.db, job.id);
      // Read while running (a lease of this instance) or once ready (the lease dropped), as the job goes.
      if (row?.status === 'running') {
        expect(row.lease_owner).toBe(first.service.handover.jobs.instanceId);
        expect(new Date(row.lease_expires_at ?? 0).getTime()).toBeGreaterThan(Date.now());
      } else {
        expect(row).toMatchObject({ status: 'ready', lease_owner: null, lease_expires_at: null });
      }
      // Another instance's check leaves it alone: it ends ready.
      await second.service.handover.jobs.failAbandoned();
      await first.service.handover.jobs.settled();
      expect((await repository.findExport(first.service.db, job.id))?.status).toBe('ready');
    });
  });
}

/** Ready archives expire (`DOCSTORE_EXPORT_EXPIRY_HOURS`): `serve` removes the job and its archive. */
for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`export expiry on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let clock = Date.now();

    beforeAll(async () => {
      fixture = await factory({ now: () => new Date(clock), env: { DOCSTORE_EXPORT_EXPIRY_HOURS: '24' } });
      await fixture.service.handover.keys.create(ORG_A, 'Syndic Expiry');
    });
    afterAll(async () => fixture?.close());

    it('removes a ready export and its archive once older than the expiry, and nothing younger, failed or running', async () => {
      expect(fixture.config.exportExpiryHours).toBe(24);
      const buildingId = await registerBuilding(fixture, { name: 'Résidence Expiry' });
      const syndic = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const { payload, headers } = documentUpload({ type: 'invoice', title: 'Facture', content: pdfOfSize(10_000) });
      expect((await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, ...syndic } })).statusCode).toBe(201);
      const exportNow = async () => {
        const started = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/exports`, payload: {}, headers: syndic });
        expect(started.statusCode, started.body).toBe(202);
        await fixture.service.handover.jobs.settled();
        return (await repository.findExport(fixture.service.db, (started.json() as ExportJob).id))!;
      };
      const old = await exportNow();
      expect(old.status).toBe('ready');
      const running = uuidv7();
      await repository.insertExport(
        fixture.service.db,
        repository.runningExportRow({ id: running, organization_id: ORG_A, building_id: buildingId, include_trash: 0, requested_by: 'user-syndic', created_at: new Date(clock).toISOString(), lease_owner: 'a-live-instance', lease_expires_at: new Date(clock + 90 * 3_600_000).toISOString() }),
      );
      clock += 23 * 3_600_000;
      const young = await exportNow();
      expect(await fixture.service.handover.jobs.removeExpired(0)).toBe(0);
      expect(await fixture.service.handover.jobs.removeExpired(24)).toBe(0);
      clock += 2 * 3_600_000;
      expect(await fixture.service.handover.jobs.removeExpired(24)).toBe(1);
      expect(await repository.findExport(fixture.service.db, old.id)).toBeUndefined();
      expect(await fixture.service.storage.exists(old.storage_key!)).toBe(false);
      const gone = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${buildingId}/exports/${old.id}`, headers: syndic });
      expect(gone.statusCode).toBe(404);
      expect((await repository.findExport(fixture.service.db, young.id))?.status).toBe('ready');
      expect(await fixture.service.storage.exists(young.storage_key!)).toBe(true);
      expect((await repository.findExport(fixture.service.db, running))?.status).toBe('running');
    });
  });
}
