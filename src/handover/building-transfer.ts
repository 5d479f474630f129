import type { Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.js';
import { BuildingError } from '../buildings/building-errors.js';
import { assertSuperadmin } from '../documents/document-authorization.js';
import type { DocumentProtection } from '../documents/retention/document-protection.js';
import { insertChange } from '../documents/retention/retention-repository.js';
import { isAtLeastAsLong } from '../documents/retention/retention-rules.js';
import { permanentLockUntil } from '../storage/object-storage.js';
import type { Principal } from '../shared/principal.js';
import { HandoverError } from './handover-errors.js';
import type { HandoverRecorder } from './handover-recorder.js';

export interface TransferReport {
  buildingId: string;
  fromOrganizationId: string;
  toOrganizationId: string;
  documents: number;
  /** Documents whose retention under the new organisation's policy was shorter: kept as long as before. */
  retentionsKept: number;
}

/**
 * Moves a building and all its documents (trash, versions, holds, retention history) to another
 * organisation of this installation, in one transaction, without copying bytes: the storage keys
 * stay. Every request checks the organisation on the rows, so the old organisation loses access
 * at the commit. A document the new organisation's policy would keep shorter keeps its date.
 */
export class BuildingTransfer {
  private readonly now: () => Date;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly protection: DocumentProtection,
    options: { now?: () => Date; recorder?: HandoverRecorder } = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.recorder = options.recorder;
  }

  private readonly recorder: HandoverRecorder | undefined;

  async transfer(principal: Principal, buildingId: string, toOrganizationId: string): Promise<TransferReport> {
    assertSuperadmin(principal, 'moving a building to another organisation');
    const at = this.now().toISOString();
    const report = await this.db.transaction().execute(async (trx) => {
      const building = await trx.selectFrom('buildings').selectAll().where('id', '=', buildingId).executeTakeFirst();
      if (building === undefined) throw BuildingError.notFound(buildingId);
      const from = building.organization_id;
      if (from === toOrganizationId) throw HandoverError.conflict(`building ${buildingId} belongs to organisation ${toOrganizationId} already`);
      const ids = (await trx.selectFrom('documents').select('id').where('building_id', '=', buildingId).execute()).map((row) => row.id);
      const before = await this.protection.withDatabase(trx).protections(ids);
      await trx.updateTable('buildings').set({ organization_id: toOrganizationId, updated_at: at }).where('id', '=', buildingId).execute();
      await trx.updateTable('documents').set({ organization_id: toOrganizationId }).where('building_id', '=', buildingId).execute();
      await trx.updateTable('legal_holds').set({ organization_id: toOrganizationId }).where('building_id', '=', buildingId).execute();
      for (let start = 0; start < ids.length; start += 500) {
        await trx.updateTable('retention_changes').set({ organization_id: toOrganizationId }).where('document_id', 'in', ids.slice(start, start + 500)).execute();
      }
      const after = await this.protection.withDatabase(trx).protections(ids);
      let retentionsKept = 0;
      for (const [id, previous] of before) {
        const next = after.get(id);
        if (next === undefined || isAtLeastAsLong(next.retention, previous.retention)) continue;
        const override = previous.retention.permanent ? permanentLockUntil(previous.uploadedAt).toISOString().slice(0, 10) : (previous.retention.retainUntil ?? '');
        await trx.updateTable('documents').set({ retain_until_override: override, updated_at: at }).where('id', '=', id).execute();
        await insertChange(trx, {
          id: uuidv7(),
          organization_id: toOrganizationId,
          document_id: id,
          document_type: null,
          previous: next.retention.permanent ? 'permanent' : (next.retention.retainUntil ?? 'none'),
          next: override,
          reason: `building moved from organisation ${from}: kept as long as before (${previous.retention.permanent ? 'permanent' : previous.retention.retainUntil})`,
          changed_by: principal.userId,
          changed_at: at,
        });
        retentionsKept++;
      }
      await this.recorder?.transferred(trx, { buildingId, fromOrganizationId: from, toOrganizationId, documents: ids.length }, { principal });
      return { buildingId, fromOrganizationId: from, toOrganizationId, documents: ids.length, retentionsKept };
    });
    if (report.retentionsKept > 0) {
      const ids = (await this.db.selectFrom('documents').select('id').where('building_id', '=', buildingId).execute()).map((row) => row.id);
      await this.protection.changed(ids);
    }
    return report;
  }
}
