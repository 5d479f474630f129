import type { Principal } from '../../shared/principal.js';
import type { Document } from '../../shared/document.js';
import { authorizedDocument } from '../document-access.js';
import type { DocumentContext } from '../document-context.js';
import { DocumentError } from '../document-errors.js';
import { toDocument } from '../document-fields.js';
import { contentDisposition } from '../../shared/file-name.js';
import type { DocumentVersion } from '../../shared/document-version.js';
import * as repository from './document-version-repository.js';
import { toDocumentVersion } from './version-mapping.js';
import { documentLink } from '../document-links.js';
import { ReadRecorder } from '../read-recorder.js';

/** A document's versions and their content, for whoever may read the document. */
export class DocumentVersionReader {
  constructor(private readonly context: DocumentContext) {}

  /** Every version, newest first (the first is the document's current content). */
  async list(principal: Principal, documentId: string): Promise<DocumentVersion[]> {
    await authorizedDocument(this.context.db, principal, documentId, 'read');
    return (await repository.listVersions(this.context.db, documentId)).map(toDocumentVersion);
  }

  async get(principal: Principal, documentId: string, version: number): Promise<DocumentVersion> {
    return (await this.find(principal, documentId, version)).version;
  }

  /** The version and its storage key, for serving its content (`/content` or a signed link). */
  async find(principal: Principal, documentId: string, version: number): Promise<{ document: Document; version: DocumentVersion; storageKey: string }> {
    const document = await authorizedDocument(this.context.db, principal, documentId, 'read');
    const row = await repository.findVersion(this.context.db, documentId, version);
    if (row === undefined) throw DocumentError.versionNotFound(documentId, version);
    return { document: toDocument(document), version: toDocumentVersion(row), storageKey: row.storage_key };
  }

  async downloadUrl(principal: Principal, documentId: string, version: number, expiresInSeconds: number, disposition: 'attachment' | 'inline' = 'attachment'): Promise<{ url: string; expiresAt: string }> {
    const found = await this.find(principal, documentId, version);
    const url = await documentLink(this.context, found.storageKey, {
      expiresInSeconds,
      contentType: found.version.mimeType,
      contentDisposition: contentDisposition(found.version.fileName, disposition),
    });
    const expiresAt = new Date(this.context.now().getTime() + expiresInSeconds * 1000).toISOString();
    // The link is given only once its issue is recorded.
    await new ReadRecorder(this.context).linkIssued(principal, found.document, { version, disposition, expiresAt });
    return { url, expiresAt };
  }
}
