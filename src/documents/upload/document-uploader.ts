import type { Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Principal } from '../../shared/principal.js';
import { DatabaseUnavailable, type Database } from '../../db/database.js';
import type { Document } from '../../shared/document.js';
import { authorizeBuilding } from '../document-access.js';
import type { DocumentContext } from '../document-context.js';
import { toDocument, validateDocumentFields, type DocumentFields } from '../document-fields.js';
import * as repository from '../document-repository.js';
import { dateInBrussels } from '../retention/calendar-date.js';
import { removeWhenReachable } from './orphan-removal.js';
import { storeFilePart, type StoredFile } from './file-part-storage.js';
import type { UploadPart } from './upload-part.js';
import { receiveUploadParts } from './upload-parts.js';
import { insertVersion } from '../versions/document-version-repository.js';
import { actorOf } from '../../audit/audit-entry.js';
import { documentEntry } from '../document-audit.js';

export interface UploadOptions {
  /**
   * Runs inside the transaction that records the document, after its row: what it writes commits
   * with the document or not at all (the HTTP layer records an `Idempotency-Key` outcome there).
   */
  beforeCommit?: (trx: Transaction<Database>, document: Document) => Promise<void>;
}

/** A document just recorded, with its building's financial-year end (its retention depends on it). */
export interface RecordedDocument {
  document: Document;
  financialYearEnd: { month: number; day: number };
}

/** The upload of a new document. */
export class DocumentUploader {
  constructor(private readonly context: DocumentContext) {}

  /**
   * Stores an upload: authorises before reading a byte, streams the file part to storage (its type
   * decided from its first bytes, its size limited while streaming), then records the row in a
   * transaction. Any failure after the object was stored removes it: nothing orphaned.
   */
  async upload(principal: Principal, buildingId: string, parts: AsyncIterable<UploadPart>, options: UploadOptions = {}): Promise<RecordedDocument> {
    const { db, storage } = this.context;
    const { organizationId, financialYearEnd } = await authorizeBuilding(db, principal, buildingId, 'upload');
    let stored: (StoredFile & { id: string }) | undefined;
    let early: DocumentFields | undefined;
    try {
      const { fields, stored: file } = await receiveUploadParts(parts, {
        // Fields sent before the file are checked before storing anything.
        beforeFile: (fields) => {
          if (fields.type !== undefined && fields.title !== undefined) early = validateDocumentFields(principal, fields);
        },
        store: async (part) => {
          const id = uuidv7();
          // Under Object Lock the object is written locked, from the fields sent before it; with
          // fields after the file, the lock is applied once the row is committed (`protection.changed`).
          const lock =
            early === undefined
              ? {}
              : await this.context.objectLock.lockOfNewDocument({
                  organizationId,
                  buildingId,
                  type: early.type,
                  documentDate: early.documentDate ?? null,
                  contractEndDate: early.contractEndDate ?? null,
                  uploadedAt: this.context.now(),
                });
          return { id, ...(await storeFilePart(this.context, `${organizationId}/${buildingId}/${id}`, part, { 'document-id': id }, lock)) };
        },
        stored: (result) => {
          stored = result;
        },
      });
      const valid = validateDocumentFields(principal, fields);
      const uploadedAt = this.context.now();
      const now = uploadedAt.toISOString();
      const row = {
        id: file.id,
        organization_id: organizationId,
        building_id: buildingId,
        type: valid.type,
        title: valid.title,
        description: valid.description ?? null,
        file_name: file.fileName,
        mime_type: file.mimeType,
        size: file.size,
        sha256: file.sha256,
        uploaded_by: principal.userId,
        related_meeting_id: valid.relatedMeetingId ?? null,
        related_expense_id: valid.relatedExpenseId ?? null,
        storage_key: file.key,
        document_date: valid.documentDate ?? dateInBrussels(uploadedAt),
        contract_end_date: valid.contractEndDate ?? null,
        retain_until_override: null,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      };
      const document = toDocument({ ...row, status: 'active' });
      let committing = false;
      try {
        // The row is the commit point: until it is committed, the document does not exist.
        await db.transaction().execute(async (trx) => {
          await repository.insertDocument(trx, row);
          await insertVersion(trx, { document_id: row.id, version: 1, storage_key: row.storage_key, size: row.size, sha256: row.sha256, mime_type: row.mime_type, file_name: row.file_name, uploaded_by: row.uploaded_by, created_at: now });
          await this.context.onVersionRecorded?.(trx, { documentId: row.id, version: 1, created: { title: row.title, fileName: row.file_name, buildingId: row.building_id } });
          await this.context.audit.record(
            trx,
            documentEntry('document.upload', actorOf(principal), document, {
              version: 1,
              details: { type: row.type, title: row.title, fileName: row.file_name, mimeType: row.mime_type, size: row.size, sha256: row.sha256 },
            }),
          );
          await options.beforeCommit?.(trx, document);
          committing = true;
        });
      } catch (error) {
        // The database went away during COMMIT: the row may be committed, so its object stays
        // (`docstore reconcile` removes it if it was not).
        if (committing && error instanceof DatabaseUnavailable) stored = undefined;
        throw error;
      }
      return { document, financialYearEnd };
    } catch (error) {
      if (stored !== undefined) {
        const { key } = stored;
        // Unreachable storage: the client still gets the original error; the object goes later.
        await storage.delete(key).catch(() => removeWhenReachable(storage, key, this.context.orphanRemovalDelaysMs));
      }
      throw error;
    }
  }
}
