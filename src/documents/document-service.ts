import type { Principal } from '../shared/principal.js';
import type { GetResult, ObjectStorage } from '../storage/object-storage.js';
import type { Document, DocumentType, ProtectedDocument } from '../shared/document.js';
import { authorizedDocument } from './document-access.js';
import { documentContext, type DocumentContext, type DocumentServiceOptions } from './document-context.js';
import { assertTypeAllowed } from './document-authorization.js';
import { DocumentError } from './document-errors.js';
import { toDocument, type DocumentPatch } from './document-fields.js';
import { DocumentReader, type DocumentPage } from './document-reader.js';
import * as repository from './document-repository.js';
import { DocumentReconciler, type ReconcileReport } from './maintenance/document-reconciler.js';
import { DocumentTrash, type PurgeReport } from './maintenance/document-trash.js';
import type { DocumentProtection } from './retention/document-protection.js';
import { RetentionAdministration } from './retention/retention-administration.js';
import { RetentionError } from './retention/retention-errors.js';
import { isAtLeastAsLong } from './retention/retention-rules.js';
import { DocumentUploader, type UploadOptions } from './upload/document-uploader.js';
import type { UploadPart } from './upload/upload-part.js';
import type { DocumentVersion } from '../shared/document-version.js';
import { DocumentVersionReader } from './versions/document-version-reader.js';
import { DocumentVersionUploader, type VersionUploadOptions } from './versions/document-version-uploader.js';
import { actorOf, type AuditActor } from '../audit/audit-entry.js';
import { changesBetween } from '../audit/audit-changes.js';
import { auditedRow, documentEntry } from './document-audit.js';
import { ReadRecorder } from './read-recorder.js';
import { RefusalRecorder } from './refusal-recorder.js';

export type { DocumentServiceOptions } from './document-context.js';
export { documentFieldsSchema, documentPatchSchema, toDocument, type DocumentPatch } from './document-fields.js';
export type { DocumentPage } from './document-reader.js';

/** A page of documents as the API shows them. */
export interface ProtectedDocumentPage {
  items: ProtectedDocument[];
  nextCursor: string | null;
}
export type { PurgeReport } from './maintenance/document-trash.js';
export type { UploadOptions } from './upload/document-uploader.js';
export type { UploadPart } from './upload/upload-part.js';
export type { ContentRead } from './read-recorder.js';
export type { RefusalTarget } from './refusal-recorder.js';
export type { DocumentVersion } from '../shared/document-version.js';
export type { VersionUploadOptions } from './versions/document-version-uploader.js';

/**
 * The documents use cases: every call is authorised for its principal (a building or document the
 * caller may not see — another organisation's, or for a board member or owner one outside its
 * token: `documents.not_found`; a role too weak: `auth.forbidden`). Each seam lives in its own
 * file (upload/, reads, maintenance/: trash and reconcile); this class composes them.
 */
export class DocumentService {
  private readonly context: DocumentContext;
  private readonly uploader: DocumentUploader;
  private readonly reader: DocumentReader;
  private readonly trash: DocumentTrash;
  private readonly reconciler: DocumentReconciler;
  /** Retention policies, a document's retention date, legal holds: who may change them, recorded with reasons. */
  readonly retention: RetentionAdministration;
  private readonly versionUploader: DocumentVersionUploader;
  private readonly versionReader: DocumentVersionReader;
  /** Records reads (downloads, previews, signed links' uses) before their first byte is sent. */
  readonly reads: ReadRecorder;
  /** Records refused attempts (403) on documents, buildings and organisations that exist. */
  readonly refusals: RefusalRecorder;

  constructor(options: DocumentServiceOptions) {
    this.context = documentContext(options);
    this.uploader = new DocumentUploader(this.context);
    this.reader = new DocumentReader(this.context);
    this.trash = new DocumentTrash(this.context);
    this.reconciler = new DocumentReconciler(this.context);
    this.retention = new RetentionAdministration(this.context.db, this.context.protection, this.context.now, this.context.audit);
    this.versionUploader = new DocumentVersionUploader(this.context);
    this.versionReader = new DocumentVersionReader(this.context);
    this.reads = new ReadRecorder(this.context);
    this.refusals = new RefusalRecorder(this.context.db, this.context.audit);
  }

  /** Retention and legal hold of documents: the guard of every delete path. */
  get protection(): DocumentProtection {
    return this.context.protection;
  }

  /** Sets each document's `retention` and `legalHold` as they are now (every answer carries them). */
  annotate(documents: readonly Document[]): Promise<ProtectedDocument[]> {
    return this.context.protection.annotate(documents);
  }

  /** See `DocumentUploader.upload`. */
  async upload(principal: Principal, buildingId: string, parts: AsyncIterable<UploadPart>, options: UploadOptions = {}): Promise<ProtectedDocument> {
    const { document, financialYearEnd } = await this.uploader.upload(principal, buildingId, parts, options);
    await this.context.protection.changed([document.id]);
    return this.context.protection.annotateRecorded(document, financialYearEnd);
  }

  async list(principal: Principal, buildingId: string, query: { type?: DocumentType; q?: string; limit: number; cursor?: string }, trash = false): Promise<ProtectedDocumentPage> {
    const page = await this.reader.list(principal, buildingId, query, trash);
    return { ...page, items: await this.annotate(page.items) };
  }

  async get(principal: Principal, id: string): Promise<ProtectedDocument> {
    return this.annotateOne(await this.reader.get(principal, id));
  }

  /** The document and its content (whole or a range); the caller must consume or destroy the body. */
  content(principal: Principal, id: string, range?: Parameters<ObjectStorage['get']>[1]): Promise<{ document: Document; object: GetResult }> {
    return this.reader.content(principal, id, range);
  }

  /** The row behind a document, for serving its content through a signed link. */
  storageKeyOf(principal: Principal, id: string): Promise<{ document: Document; storageKey: string; version: number | null }> {
    return this.reader.storageKeyOf(principal, id);
  }

  downloadUrl(principal: Principal, id: string, expiresInSeconds: number, disposition: 'attachment' | 'inline' = 'attachment'): Promise<{ url: string; expiresAt: string }> {
    return this.reader.downloadUrl(principal, id, expiresInSeconds, disposition);
  }

  /** See `DocumentVersionUploader.add`. */
  async addVersion(principal: Principal, id: string, parts: AsyncIterable<UploadPart>, options: VersionUploadOptions = {}): Promise<DocumentVersion> {
    const version = await this.versionUploader.add(principal, id, parts, options);
    // The new object takes the document's retention and hold, as an upload's does (S3 Object Lock follows them).
    await this.context.protection.changed([id]);
    return version;
  }

  /** A document's versions, newest first. */
  versions(principal: Principal, id: string): Promise<DocumentVersion[]> {
    return this.versionReader.list(principal, id);
  }

  version(principal: Principal, id: string, version: number): Promise<DocumentVersion> {
    return this.versionReader.get(principal, id, version);
  }

  /** A version and its storage key, for serving its content. */
  versionStorageKeyOf(principal: Principal, id: string, version: number): Promise<{ document: Document; version: DocumentVersion; storageKey: string }> {
    return this.versionReader.find(principal, id, version);
  }

  versionDownloadUrl(principal: Principal, id: string, version: number, expiresInSeconds: number, disposition: 'attachment' | 'inline' = 'attachment'): Promise<{ url: string; expiresAt: string }> {
    return this.versionReader.downloadUrl(principal, id, version, expiresInSeconds, disposition);
  }

  /**
   * Edits a document's fields. An edit that would shorten an active retention (another type, an
   * earlier date) is refused (`document.retention_active`): only a superadmin shortens a
   * retention, with a reason (`RetentionAdministration.setDocumentRetention`).
   */
  async update(principal: Principal, id: string, patch: DocumentPatch): Promise<ProtectedDocument> {
    const { db, now, protection } = this.context;
    const row = await authorizedDocument(db, principal, id, 'read');
    assertTypeAllowed(principal, row.type as DocumentType, 'edit');
    if (patch.type !== undefined) assertTypeAllowed(principal, patch.type, 'edit');
    const affectsRetention = patch.type !== undefined || patch.documentDate !== undefined || patch.contractEndDate !== undefined;
    const before = affectsRetention ? (await protection.protections([id])).get(id) : undefined;
    const updated = await db.transaction().execute(async (trx) => {
      const changed = await repository.updateDocument(trx, id, {
        ...(patch.type === undefined ? {} : { type: patch.type }),
        ...(patch.title === undefined ? {} : { title: patch.title }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.relatedMeetingId === undefined ? {} : { related_meeting_id: patch.relatedMeetingId }),
        ...(patch.relatedExpenseId === undefined ? {} : { related_expense_id: patch.relatedExpenseId }),
        ...(patch.documentDate === undefined ? {} : { document_date: patch.documentDate }),
        ...(patch.contractEndDate === undefined ? {} : { contract_end_date: patch.contractEndDate }),
        updated_at: now().toISOString(),
      });
      if (changed === undefined) throw DocumentError.notFound('Document', id);
      await this.context.onDocumentEdited?.(trx, id);
      const { type, title, description, relatedMeetingId, relatedExpenseId, documentDate, contractEndDate } = toDocument(row);
      const changes = changesBetween({ type, title, description, relatedMeetingId, relatedExpenseId, documentDate, contractEndDate }, patch);
      await this.context.audit.record(trx, documentEntry('document.update', actorOf(principal), auditedRow(row), { details: { changes } }));
      if (before !== undefined && before.retained) {
        const after = (await protection.withDatabase(trx).protections([id])).get(id);
        if (after !== undefined && !isAtLeastAsLong(after.retention, before.retention)) throw RetentionError.retained(id, before.retention.retainUntil, 'shortened by an edit');
      }
      return changed;
    });
    if (affectsRetention) await protection.changed([id]);
    return this.annotateOne(toDocument(updated));
  }

  /** Moves a document to the trash: it leaves every listing; its object stays until purged. */
  delete(principal: Principal, id: string): Promise<void> {
    return this.trash.delete(principal, id);
  }

  async restore(principal: Principal, id: string): Promise<ProtectedDocument> {
    return this.annotateOne(await this.trash.restore(principal, id));
  }

  /**
   * Removes documents deleted more than `trashDays` ago (object first, then row), except those
   * under retention or legal hold. Returns how many were removed.
   */
  async purge(): Promise<number> {
    return (await this.trash.purge()).purged;
  }

  /** `purge`, with how many documents old enough were kept under retention or hold. */
  purgeReport(): Promise<PurgeReport> {
    return this.trash.purge();
  }

  /** See `DocumentReconciler.reconcile`. */
  reconcile(options: { fix: boolean; graceMs?: number; actor?: AuditActor }): Promise<ReconcileReport> {
    return this.reconciler.reconcile(options);
  }

  private async annotateOne(document: Document): Promise<ProtectedDocument> {
    const [annotated] = await this.annotate([document]);
    if (annotated === undefined) throw DocumentError.notFound('Document', document.id);
    return annotated;
  }

  /** Counts and bytes of live documents by type. */
  statistics(): Promise<Array<{ type: string; count: number; bytes: number }>> {
    return repository.documentCounts(this.context.db);
  }
}
