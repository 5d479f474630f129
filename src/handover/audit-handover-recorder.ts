import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { AuditLog } from '../audit/audit-log.js';
import { actorOf, operatorActor, type AuditActor } from '../audit/audit-entry.js';
import { auditExportLines } from '../audit/query/audit-export-format.js';
import { auditEntriesOf } from '../audit/query/audit-repository.js';
import type { AuditView } from '../audit/query/audit-view.js';
import type { ExportRecord } from './building-exporter.js';
import type { HandoverActor, HandoverRecorder, ImportRecord, TransferRecord } from './handover-recorder.js';

function auditActorOf(actor: HandoverActor): AuditActor {
  return 'principal' in actor ? actorOf(actor.principal) : operatorActor(actor.command);
}

/**
 * The change of syndic in the audit trail (docs/audit.md): `building.export` when an export
 * starts (before the trail is read, so the archive holds it), `building.import` in the import's
 * transaction, and a transfer as `building.update` (`changes.organizationId`) in both
 * organisations' trails, in the transfer's transaction. The archive's trail is every entry of the
 * building in its organisation's trail, oldest first, without origins (client addresses, user
 * agents and request ids of the outgoing syndic's users are not handed over).
 */
export class AuditHandoverRecorder implements HandoverRecorder {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: AuditLog,
  ) {}

  async exported(record: ExportRecord, actor: HandoverActor): Promise<void> {
    const { organizationId, buildingId, ...details } = record;
    await this.log.record(this.db, { action: 'building.export', actor: auditActorOf(actor), organizationId, buildingId, details });
  }

  async imported(trx: Kysely<Database>, record: ImportRecord, actor: HandoverActor): Promise<void> {
    const { organizationId, buildingId, ...details } = record;
    await this.log.record(trx, { action: 'building.import', actor: auditActorOf(actor), organizationId, buildingId, details });
  }

  async transferred(trx: Kysely<Database>, record: TransferRecord, actor: HandoverActor): Promise<void> {
    const details = { transfer: true, documents: record.documents, changes: { organizationId: { from: record.fromOrganizationId, to: record.toOrganizationId } } };
    for (const organizationId of [record.fromOrganizationId, record.toOrganizationId]) {
      await this.log.record(trx, { action: 'building.update', actor: auditActorOf(actor), organizationId, buildingId: record.buildingId, details });
    }
  }

  async *trail(buildingId: string): AsyncIterable<string> {
    const building = await this.db.selectFrom('buildings').select('organization_id').where('id', '=', buildingId).executeTakeFirst();
    if (building === undefined) return;
    const view: AuditView = { organizationId: building.organization_id, subject: '', buildingIds: null, entries: 'all', documentTypes: [], origin: false };
    yield* auditExportLines(auditEntriesOf(this.db, view, { buildingId }), 'jsonl');
  }
}
