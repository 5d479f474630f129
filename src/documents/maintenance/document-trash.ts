import type { Principal } from '../../auth/principal.js';
import type { Document } from '../document.js';
import { authorizedDocument } from '../document-access.js';
import type { DocumentContext } from '../document-context.js';
import { DocumentError } from '../document-errors.js';
import { toDocument } from '../document-fields.js';
import * as repository from '../document-repository.js';
import { removeVersionObjects } from '../versions/version-removal.js';

/** The trash: delete moves a document there, restore brings it back, purge empties what is old enough. */
export class DocumentTrash {
  constructor(private readonly context: DocumentContext) {}

  /** Moves a document to the trash: it leaves every listing; its object stays until purged. */
  async delete(principal: Principal, id: string): Promise<void> {
    const { db, now } = this.context;
    await authorizedDocument(db, principal, id, 'delete');
    const at = now().toISOString();
    await repository.updateDocument(db, id, { deleted_at: at, updated_at: at });
  }

  async restore(principal: Principal, id: string): Promise<Document> {
    const { db, now } = this.context;
    await authorizedDocument(db, principal, id, 'restore', true);
    const restored = await repository.updateDocument(db, id, { deleted_at: null, updated_at: now().toISOString() });
    if (restored === undefined) throw DocumentError.notFound('Document', id);
    return toDocument(restored);
  }

  /** Removes documents deleted more than `trashDays` ago: every version's object first, then the row. Returns how many. */
  async purge(): Promise<number> {
    const { db, now, trashDays } = this.context;
    const before = new Date(now().getTime() - trashDays * 86_400_000).toISOString();
    let purged = 0;
    for (;;) {
      const rows = await repository.listPurgeable(db, before, 100);
      for (const row of rows) {
        await removeVersionObjects(this.context, row);
        await repository.deleteDocumentRow(db, row.id);
        purged++;
      }
      if (rows.length < 100) return purged;
    }
  }
}
