import type { Principal } from '../../shared/principal.js';
import type { Document } from '../../shared/document.js';
import { authorizedDocument } from '../document-access.js';
import type { DocumentContext } from '../document-context.js';
import { DocumentError } from '../document-errors.js';
import { toDocument } from '../document-fields.js';
import * as repository from '../document-repository.js';
import { isStorageError } from '../../storage/storage-errors.js';
import { removeVersionObjects } from '../versions/version-removal.js';
import { actorOf, systemActor } from '../../audit/audit-entry.js';
import { auditedRow, documentEntry } from '../document-audit.js';
import { isRetentionError } from '../retention/retention-errors.js';

/** What a purge did: documents removed, and documents old enough but kept under retention or hold. */
export interface PurgeReport {
  purged: number;
  /** Kept under retention or legal hold, by docstore or by the storage's Object Lock (`storage.object_locked`). */
  kept: number;
}

/**
 * The trash: delete moves a document there, restore brings it back, purge empties what is old
 * enough. A document under retention or legal hold is never deleted nor purged (docs/retention.md).
 */
export class DocumentTrash {
  constructor(private readonly context: DocumentContext) {}

  /** Moves a document to the trash: it leaves every listing; its object stays until purged. */
  async delete(principal: Principal, id: string): Promise<void> {
    const { db, now, protection, audit } = this.context;
    const row = await authorizedDocument(db, principal, id, 'delete');
    try {
      await protection.assertDeletable(id);
    } catch (error) {
      // A delete refused by retention or a legal hold is recorded: someone tried.
      if (isRetentionError(error)) await audit.record(db, documentEntry('document.delete', actorOf(principal), auditedRow(row), { outcome: 'refused', details: { reason: error.code } }));
      throw error;
    }
    const at = now().toISOString();
    await db.transaction().execute(async (trx) => {
      await repository.updateDocument(trx, id, { deleted_at: at, updated_at: at });
      await audit.record(trx, documentEntry('document.delete', actorOf(principal), auditedRow(row)));
    });
  }

  async restore(principal: Principal, id: string): Promise<Document> {
    const { db, now, audit } = this.context;
    const row = await authorizedDocument(db, principal, id, 'restore', true);
    const restored = await db.transaction().execute(async (trx) => {
      const updated = await repository.updateDocument(trx, id, { deleted_at: null, updated_at: now().toISOString() });
      if (updated === undefined) throw DocumentError.notFound('Document', id);
      await audit.record(trx, documentEntry('document.restore', actorOf(principal), auditedRow(row), { details: { deletedAt: row.deleted_at === null ? null : new Date(row.deleted_at).toISOString() } }));
      return updated;
    });
    return toDocument(restored);
  }

  /**
   * Removes documents deleted more than `trashDays` ago: every version's object first, then the row. Documents under
   * retention or legal hold stay in the trash, whatever their time there (counted in `kept`), and so
   * do those whose objects the storage still locks (a retention shortened in the database only).
   */
  async purge(): Promise<PurgeReport> {
    const { db, now, trashDays, protection } = this.context;
    const before = new Date(now().getTime() - trashDays * 86_400_000).toISOString();
    const report: PurgeReport = { purged: 0, kept: 0 };
    let after: { deletedAt: string; id: string } | undefined;
    for (;;) {
      const rows = await repository.listPurgeable(db, before, 100, after);
      const kept = await protection.protectedAmong(rows.map((row) => row.id));
      for (const row of rows) {
        if (kept.has(row.id)) {
          report.kept++;
          continue;
        }
        try {
          await removeVersionObjects(this.context, row);
        } catch (error) {
          // The storage's lock outlives a retention shortened in the database: the document stays whole.
          if (isStorageError(error) && error.code === 'storage.object_locked') {
            report.kept++;
            continue;
          }
          throw error;
        }
        await db.transaction().execute(async (trx) => {
          await repository.deleteDocumentRow(trx, row.id);
          await this.context.audit.record(
            trx,
            documentEntry('document.purge', systemActor('purge'), auditedRow(row), { details: { title: row.title, sha256: row.sha256, deletedAt: new Date(row.deleted_at ?? 0).toISOString() } }),
          );
        });
        report.purged++;
      }
      const last = rows[rows.length - 1];
      if (rows.length < 100 || last === undefined || last.deleted_at === null) return report;
      after = { deletedAt: new Date(last.deleted_at).toISOString(), id: last.id };
    }
  }
}
