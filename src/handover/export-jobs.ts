import type { Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { AuthError } from '../auth/auth-errors.js';
import type { Database } from '../db/database.js';
import { authorizeBuilding } from '../documents/document-access.js';
import { isDocstoreError } from '../errors/docstore-error.js';
import { canManageBuildings } from '../shared/building-permissions.js';
import { contentDisposition } from '../shared/file-name.js';
import type { Principal } from '../shared/principal.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import type { BuildingExporter } from './building-exporter.js';
import { HandoverError } from './handover-errors.js';
import type { HandoverExportRow } from './handover-exports.table.js';
import * as repository from './export-job-repository.js';
import { exportKey } from './export-location.js';
import type { SigningKeyStore } from './signing-key-store.js';

/** An export job as the API shows it. */
export interface ExportJob {
  id: string;
  buildingId: string;
  status: 'running' | 'ready' | 'failed';
  includeTrash: boolean;
  requestedBy: string;
  createdAt: string;
  finishedAt: string | null;
  fileName: string | null;
  size: number | null;
  /** SHA-256 of the whole archive file. */
  sha256: string | null;
  documents: number | null;
  versions: number | null;
  error: { code: string; message: string } | null;
}

/** How long a job's heartbeat (lease) lasts; it is renewed every third of it while the job runs. */
export const EXPORT_LEASE_MS = 60_000;

/** Told when a job ends (the audit trail records it; logs). */
export type ExportJobListener = (job: ExportJob, principal: Principal) => void | Promise<void>;

/**
 * Export jobs of the API: a syndic (its organisation's buildings) or a superadmin starts one; the
 * archive is written by `BuildingExporter` straight into the storage (streamed: never buffered),
 * signed with the organisation's key from `SigningKeyStore`; once ready it is downloaded through a
 * time-limited link.
 *
 * The instance running a job keeps a heartbeat in its row (a lease of `EXPORT_LEASE_MS`, renewed
 * every third of it). A job whose heartbeat lapsed (its instance stopped: crash, deploy) is marked
 * failed (`handover.export_abandoned`) by any instance: `failAbandoned` runs when jobs are read and
 * periodically in `serve`. It is not retried: the archive is written for the principal who asked,
 * with the rights of that moment, and an export that killed its instance (memory, a huge building)
 * would kill the next one too; the client sees a final state and asks again. A live job of another
 * instance (its lease not lapsed) is never touched.
 */
export class ExportJobs {
  private readonly running = new Set<Promise<void>>();
  private readonly listeners: ExportJobListener[] = [];
  private readonly now: () => Date;
  private readonly leaseMs: number;
  /** This instance's name in the leases it holds. */
  readonly instanceId = uuidv7();
  /** Where a failed job's unexpected error goes. */
  logError: (details: object, message: string) => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    private readonly storage: ObjectStorage,
    private readonly exporter: BuildingExporter,
    private readonly keys: SigningKeyStore,
    options: { now?: () => Date; leaseMs?: number } = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.leaseMs = options.leaseMs ?? EXPORT_LEASE_MS;
  }

  onFinished(listener: ExportJobListener): void {
    this.listeners.push(listener);
  }

  /** Starts an export of the building; answers at once with the running job. */
  async start(principal: Principal, buildingId: string, options: { includeTrash: boolean }): Promise<ExportJob> {
    const { organizationId } = await authorizeBuilding(this.db, principal, buildingId, 'read');
    if (!canManageBuildings(principal)) throw AuthError.forbidden('exporting a building');
    const signingKey = await this.keys.signingKeyOf(organizationId);
    const id = uuidv7();
    const createdAt = this.now().toISOString();
    await repository.insertExport(
      this.db,
      repository.runningExportRow({
        id,
        organization_id: organizationId,
        building_id: buildingId,
        include_trash: options.includeTrash ? 1 : 0,
        requested_by: principal.userId,
        created_at: createdAt,
        lease_owner: this.instanceId,
        lease_expires_at: this.leaseUntil(),
      }),
    );
    const run = this.run(principal, id, organizationId, buildingId, options.includeTrash, signingKey).finally(() => this.running.delete(run));
    this.running.add(run);
    return this.view(await this.row(id));
  }

  private async run(principal: Principal, id: string, organizationId: string, buildingId: string, includeTrash: boolean, signingKey: Awaited<ReturnType<SigningKeyStore['signingKeyOf']>>): Promise<void> {
    const key = exportKey(organizationId, id);
    const heartbeat = setInterval(() => {
      repository.renewLease(this.db, id, this.instanceId, this.leaseUntil()).catch((error: unknown) => this.logError({ err: error, exportId: id }, 'could not renew an export’s heartbeat'));
    }, Math.max(10, Math.floor(this.leaseMs / 3)));
    heartbeat.unref();
    let kept = true;
    try {
      const opened = await this.exporter.open({ buildingId, includeTrash, signingKey, requestedBy: principal.userId, actor: { principal } });
      const stored = await this.storage.put(key, opened.output, { contentType: 'application/zip', contentDisposition: contentDisposition(opened.fileName) });
      kept = await repository.finishOwnExport(this.db, id, this.instanceId, {
        status: 'ready',
        storage_key: key,
        file_name: opened.fileName,
        size: stored.size,
        sha256: stored.sha256,
        documents: opened.manifest.documents.length,
        versions: opened.manifest.documents.reduce((sum, document) => sum + document.versions.length, 0),
        finished_at: this.now().toISOString(),
      });
      // Marked abandoned meanwhile (this instance's heartbeat lapsed): the job failed, its archive goes.
      if (!kept) await this.storage.delete(key).catch(() => undefined);
    } catch (error) {
      if (!isDocstoreError(error)) this.logError({ err: error, exportId: id }, 'export failed');
      await this.storage.delete(key).catch(() => undefined);
      await repository
        .finishOwnExport(this.db, id, this.instanceId, {
          status: 'failed',
          error_code: isDocstoreError(error) ? error.code : 'internal',
          error_message: error instanceof Error ? error.message : String(error),
          finished_at: this.now().toISOString(),
        })
        .catch((recordError: unknown) => this.logError({ err: recordError, exportId: id }, 'could not record a failed export'));
    } finally {
      clearInterval(heartbeat);
    }
    const job = this.view(await this.row(id));
    for (const listener of this.listeners) await Promise.resolve(listener(job, principal)).catch((error: unknown) => this.logError({ err: error, exportId: id }, 'export listener failed'));
  }

  /**
   * Marks failed (`handover.export_abandoned`) every running job whose heartbeat lapsed, of any
   * instance, and deletes what its archive left in the storage; returns the jobs marked. A job whose
   * lease is renewed in between is left alone.
   */
  async failAbandoned(): Promise<ExportJob[]> {
    const marked: ExportJob[] = [];
    for (;;) {
      const at = this.now().toISOString();
      const rows = await repository.abandonedExports(this.db, at, 100);
      for (const row of rows) {
        const expired = row.lease_expires_at === null ? null : new Date(row.lease_expires_at).toISOString();
        const error = HandoverError.exportAbandoned(row.id, expired);
        if (!(await repository.failAbandoned(this.db, row.id, at, { code: error.code, message: error.message }))) continue;
        await this.storage.delete(exportKey(row.organization_id, row.id)).catch(() => undefined);
        marked.push(this.view(await this.row(row.id)));
      }
      if (rows.length < 100) return marked;
    }
  }

  /**
   * Removes ready jobs finished more than `expiryHours` ago, their archive first, then the row
   * (`serve`, `DOCSTORE_EXPORT_EXPIRY_HOURS`; 0 removes none); returns how many.
   */
  async removeExpired(expiryHours: number): Promise<number> {
    if (expiryHours <= 0) return 0;
    const before = new Date(this.now().getTime() - expiryHours * 3_600_000).toISOString();
    let removed = 0;
    for (;;) {
      const rows = await repository.expiredExports(this.db, before, 100);
      for (const row of rows) {
        if (row.storage_key !== null) await this.storage.delete(row.storage_key);
        await repository.deleteExport(this.db, row.id);
        removed++;
      }
      if (rows.length < 100) return removed;
    }
  }

  /** One job of a building the caller may export (an abandoned one is marked failed first). */
  async get(principal: Principal, buildingId: string, exportId: string): Promise<ExportJob> {
    const row = await this.authorizedRow(principal, buildingId, exportId);
    if (row.status !== 'running') return this.view(row);
    await this.failAbandoned();
    return this.view(await this.row(exportId));
  }

  /** A building's jobs, newest first (abandoned ones marked failed first). */
  async list(principal: Principal, buildingId: string): Promise<ExportJob[]> {
    await this.authorize(principal, buildingId);
    await this.failAbandoned();
    return (await repository.buildingExports(this.db, buildingId, 50)).map((row) => this.view(row));
  }

  /** A time-limited link to a ready job's archive; `handover.export_not_ready` before. */
  async downloadUrl(principal: Principal, buildingId: string, exportId: string, expiresInSeconds: number): Promise<{ url: string; expiresAt: string }> {
    const row = await this.authorizedRow(principal, buildingId, exportId);
    if (row.status !== 'ready' || row.storage_key === null) throw HandoverError.exportNotReady(exportId, row.status);
    const url = await this.storage.presignGet(row.storage_key, { expiresInSeconds, contentDisposition: contentDisposition(row.file_name ?? `${exportId}.zip`), contentType: 'application/zip' });
    return { url, expiresAt: new Date(this.now().getTime() + expiresInSeconds * 1000).toISOString() };
  }

  /**
   * Removes a finished job and its archive (they can be several GB; `removeExpired` takes old ones).
   * A job still running is `handover.export_not_ready`.
   */
  async remove(principal: Principal, buildingId: string, exportId: string): Promise<void> {
    const row = await this.authorizedRow(principal, buildingId, exportId);
    if (row.status === 'running') throw HandoverError.exportNotReady(exportId, row.status);
    if (row.storage_key !== null) await this.storage.delete(row.storage_key);
    await repository.deleteExport(this.db, exportId);
  }

  /** Waits for every job under way (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private async authorize(principal: Principal, buildingId: string): Promise<void> {
    await authorizeBuilding(this.db, principal, buildingId, 'read');
    if (!canManageBuildings(principal)) throw AuthError.forbidden('exporting a building');
  }

  private async authorizedRow(principal: Principal, buildingId: string, exportId: string): Promise<HandoverExportRow> {
    await this.authorize(principal, buildingId);
    const row = await repository.findExport(this.db, exportId);
    if (row === undefined || row.building_id !== buildingId) throw HandoverError.exportNotFound(exportId);
    return row;
  }

  private leaseUntil(): string {
    return new Date(this.now().getTime() + this.leaseMs).toISOString();
  }

  private async row(id: string): Promise<HandoverExportRow> {
    const row = await repository.findExport(this.db, id);
    if (row === undefined) throw HandoverError.exportNotFound(id);
    return row;
  }

  private view(row: HandoverExportRow): ExportJob {
    return {
      id: row.id,
      buildingId: row.building_id,
      status: row.status as ExportJob['status'],
      includeTrash: Number(row.include_trash) === 1,
      requestedBy: row.requested_by,
      createdAt: new Date(row.created_at).toISOString(),
      finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
      fileName: row.file_name,
      size: row.size === null ? null : Number(row.size),
      sha256: row.sha256,
      documents: row.documents === null ? null : Number(row.documents),
      versions: row.versions === null ? null : Number(row.versions),
      error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    };
  }
}
