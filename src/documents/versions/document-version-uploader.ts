import type { Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Principal } from '../../shared/principal.js';
import { DatabaseUnavailable, type Database } from '../../db/database.js';
import type { DocumentType } from '../../shared/document.js';
import { authorizedDocument } from '../document-access.js';
import { assertTypeAllowed } from '../document-authorization.js';
import type { DocumentContext } from '../document-context.js';
import { DocumentError } from '../document-errors.js';
import * as documents from '../document-repository.js';
import { storeFilePart, type StoredFile } from '../upload/file-part-storage.js';
import { removeWhenReachable } from '../upload/orphan-removal.js';
import type { UploadPart } from '../upload/upload-part.js';
import { receiveUploadParts } from '../upload/upload-parts.js';
import type { DocumentVersion } from '../../shared/document-version.js';
import * as repository from './document-version-repository.js';
import { toDocumentVersion } from './version-mapping.js';
import { actorOf } from '../../audit/audit-entry.js';
import { auditedRow, documentEntry } from '../document-audit.js';

export interface VersionUploadOptions {
  /** Runs inside the transaction that records the version, after its rows (see `UploadOptions`). */
  beforeCommit?: (trx: Transaction<Database>, version: DocumentVersion) => Promise<void>;
}

/** The upload of a new version of a document: its new current content; older ones are kept. */
export class DocumentVersionUploader {
  constructor(private readonly context: DocumentContext) {}

  /**
   * Adds a version with the rules of an upload: who may upload this document's type into its
   * building may add a version; the parts hold one `file` and no field (title, type and dates
   * belong to the document); the file is sniffed, size-limited and stored create-only under a new
   * key (`{org}/{building}/{document}/v{n}-{uuid}`), then the version row and the document's
   * current content are written in one transaction. Any failure after the object was stored
   * removes it. Two versions added at once: the second answers `document.version_conflict`.
   */
  async add(principal: Principal, documentId: string, parts: AsyncIterable<UploadPart>, options: VersionUploadOptions = {}): Promise<DocumentVersion> {
    const { db, storage } = this.context;
    const document = await authorizedDocument(db, principal, documentId, 'upload');
    assertTypeAllowed(principal, document.type as DocumentType, 'upload');
    const version = (await repository.latestVersion(db, documentId)) + 1;
    const key = `${document.organization_id}/${document.building_id}/${documentId}/v${version}-${uuidv7()}`;
    let stored: StoredFile | undefined;
    try {
      const { fields, stored: file } = await receiveUploadParts(parts, {
        beforeFile: refuseFields,
        // Under Object Lock the new object is written locked as the document is (retention end, hold).
        store: async (part) =>
          storeFilePart(this.context, key, part, { 'document-id': documentId, 'document-version': String(version) }, await this.context.objectLock.lockOfDocument(documentId)),
        stored: (result) => {
          stored = result;
        },
      });
      refuseFields(fields);
      const now = this.context.now().toISOString();
      const row = {
        document_id: documentId,
        version,
        storage_key: file.key,
        size: file.size,
        sha256: file.sha256,
        mime_type: file.mimeType,
        file_name: file.fileName,
        uploaded_by: principal.userId,
        created_at: now,
      };
      const added = toDocumentVersion(row);
      let committing = false;
      try {
        // The rows are the commit point: until they are committed, the version does not exist.
        await db.transaction().execute(async (trx) => {
          const content = { storage_key: file.key, file_name: file.fileName, mime_type: file.mimeType, size: file.size, sha256: file.sha256, updated_at: now };
          if (!(await repository.replaceCurrentContent(trx, documentId, document.storage_key, content))) {
            const current = await documents.findDocument(trx, documentId);
            if (current === undefined || current.deleted_at !== null) throw DocumentError.notFound('Document', documentId);
            throw new DocumentError('document.version_conflict', `Another version of document ${documentId} was added meanwhile: fetch its versions and send yours again`, { id: documentId });
          }
          await repository.insertVersion(trx, row);
          await this.context.onVersionRecorded?.(trx, { documentId, version });
          await this.context.audit.record(
            trx,
            documentEntry('document.version_add', actorOf(principal), auditedRow(document), {
              version,
              details: { fileName: row.file_name, mimeType: row.mime_type, size: row.size, sha256: row.sha256, previous: { sha256: document.sha256, size: Number(document.size) } },
            }),
          );
          await options.beforeCommit?.(trx, added);
          committing = true;
        });
      } catch (error) {
        // The database went away during COMMIT: the rows may be committed, so the object stays
        // (`docstore reconcile` removes it if they were not).
        if (committing && error instanceof DatabaseUnavailable) stored = undefined;
        throw error;
      }
      return added;
    } catch (error) {
      if (stored !== undefined) {
        const orphan = stored.key;
        await storage.delete(orphan).catch(() => removeWhenReachable(storage, orphan, this.context.orphanRemovalDelaysMs));
      }
      throw error;
    }
  }
}

/** A version is a file only: any field is refused before the file is stored. */
function refuseFields(fields: Readonly<Record<string, string>>): void {
  const [name] = Object.keys(fields);
  if (name !== undefined) throw DocumentError.invalid(name, 'a version is a file only (title, type and dates belong to the document: PATCH it)');
}
