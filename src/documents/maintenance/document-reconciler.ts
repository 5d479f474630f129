import type { DocumentContext } from '../document-context.js';
import { isStorageError } from '../../storage/storage-errors.js';
import { isInternalKey } from '../../storage/internal-keys.js';
import { protectedKeys } from '../retention/protected-keys.js';
import * as repository from '../document-repository.js';
import { existingVersionKeys, versionKeys } from '../versions/document-version-repository.js';
import { INSTANCE_CHAIN, operatorActor, type AuditActor } from '../../audit/audit-entry.js';
import { auditedRow, documentEntry } from '../document-audit.js';

export interface ReconcileReport {
  orphanObjects: string[];
  /**
   * Orphans `fix` leaves in place because their key names a document under retention or legal
   * hold, or a building under legal hold (docs/retention.md), or because the storage's Object Lock
   * refused their removal.
   */
  protectedObjects: string[];
  missingObjects: string[];
  fixed: number;
}

/** Compares storage with the rows that reference it. */
export class DocumentReconciler {
  constructor(private readonly context: DocumentContext) {}

  /**
   * Compares storage and rows: objects without a row (orphans) and rows without an object
   * (missing). With `fix`, orphans older than `graceMs` (uploads in flight are younger) are
   * removed and missing rows are marked `broken`, never deleted. An orphan whose key
   * (`{organisation}/{building}/{document}…`) names a retained or held document, or a held
   * building, is never removed (`protectedObjects`), nor is one the storage's Object Lock refuses
   * to remove (an orphan written locked: listed there too).
   */
  async reconcile(options: { fix: boolean; graceMs?: number; actor?: AuditActor }): Promise<ReconcileReport> {
    const { db, storage, now, protection, audit } = this.context;
    // With `fix`, each document marked broken is recorded with its change, and the run as a whole on the instance's chain.
    const actor = options.actor ?? operatorActor('reconcile --fix');
    const removed: string[] = [];
    const orphanObjects: string[] = [];
    const protectedObjects: string[] = [];
    const missingObjects: string[] = [];
    let fixed = 0;
    const cutoff = now().getTime() - (options.graceMs ?? 3_600_000);
    let batch: Array<{ key: string; lastModified: Date }> = [];
    const flush = async () => {
      const known = await existingVersionKeys(db, batch.map((object) => object.key));
      const orphans = batch.filter((object) => !known.has(object.key) && !isInternalKey(object.key));
      const keys = orphans.map((object) => object.key);
      const guarded = await protectedKeys(protection, keys);
      for (const object of orphans) {
        orphanObjects.push(object.key);
        if (guarded.has(object.key)) {
          protectedObjects.push(object.key);
          continue;
        }
        if (options.fix && object.lastModified.getTime() < cutoff) {
          try {
            await storage.delete(object.key);
          } catch (error) {
            // Under Object Lock, an orphan written locked (an upload whose row failed) stays until its date.
            if (isStorageError(error) && error.code === 'storage.object_locked') {
              protectedObjects.push(object.key);
              continue;
            }
            throw error;
          }
          removed.push(object.key);
          fixed++;
        }
      }
      batch = [];
    };
    for await (const entry of storage.list()) {
      if (entry.kind !== 'object') continue;
      batch.push({ key: entry.key, lastModified: entry.lastModified });
      if (batch.length >= 500) await flush();
    }
    await flush();
    // Every version's object must be there; only a missing current one makes its document broken.
    for await (const rows of versionKeys(db)) {
      const present = await Promise.all(rows.map((row) => storage.exists(row.storageKey)));
      for (const [index, row] of rows.entries()) {
        if (present[index] === true) continue;
        missingObjects.push(row.storageKey);
        if (options.fix && row.current && row.status !== 'broken') {
          await db.transaction().execute(async (trx) => {
            const marked = await repository.updateDocument(trx, row.documentId, { status: 'broken', updated_at: now().toISOString() });
            if (marked !== undefined) await audit.record(trx, documentEntry('reconcile.fix', actor, auditedRow(marked), { details: { status: { from: row.status, to: 'broken' }, missingKey: row.storageKey } }));
          });
          fixed++;
        }
      }
    }
    if (options.fix) {
      await audit.record(db, {
        action: 'reconcile.fix',
        actor,
        organizationId: INSTANCE_CHAIN,
        details: { fixed, orphansRemoved: removed.length, removed: removed.slice(0, 1000), orphansKept: protectedObjects.length, missingObjects: missingObjects.length },
      });
    }
    return { orphanObjects, protectedObjects, missingObjects, fixed };
  }
}
