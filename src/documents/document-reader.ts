import type { Principal } from '../shared/principal.js';
import type { GetResult, ObjectStorage } from '../storage/object-storage.js';
import type { Document, DocumentType } from '../shared/document.js';
import { authorizeBuilding, authorizedDocument, authorizedDocumentWithVersion } from './document-access.js';
import type { DocumentContext } from './document-context.js';
import { toDocument } from './document-fields.js';
import * as repository from './document-repository.js';
import { contentOfKey } from './versions/document-version-repository.js';
import { contentDisposition } from '../shared/file-name.js';
import { decodeCursor, encodeCursor, type CursorScope } from './list-cursor.js';
import { auditedRow } from './document-audit.js';
import { documentLink } from './document-links.js';
import { ReadRecorder } from './read-recorder.js';

export interface DocumentPage {
  items: Document[];
  nextCursor: string | null;
}

/** Listings, documents and their content, for whoever may read the building. */
export class DocumentReader {
  constructor(private readonly context: DocumentContext) {}

  async list(principal: Principal, buildingId: string, query: { type?: DocumentType; q?: string; limit: number; cursor?: string }, trash = false): Promise<DocumentPage> {
    const { db } = this.context;
    await authorizeBuilding(db, principal, buildingId, trash ? 'trash' : 'read');
    const scope: CursorScope = { buildingId, type: query.type, q: query.q, trash };
    const rows = await repository.listDocuments(db, {
      buildingId,
      ...(query.type === undefined ? {} : { type: query.type }),
      ...(query.q === undefined ? {} : { q: query.q }),
      deleted: trash,
      limit: query.limit + 1,
      ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor, scope) }),
    });
    const items = rows.slice(0, query.limit).map(toDocument);
    const last = items[items.length - 1];
    const nextCursor = rows.length > query.limit && last !== undefined ? encodeCursor(scope, { createdAt: last.createdAt, id: last.id }) : null;
    return { items, nextCursor };
  }

  async get(principal: Principal, id: string): Promise<Document> {
    return toDocument(await authorizedDocument(this.context.db, principal, id, 'read'));
  }

  /** The document and its content (whole or a range); the caller must consume or destroy the body. */
  async content(principal: Principal, id: string, range?: Parameters<ObjectStorage['get']>[1]): Promise<{ document: Document; object: GetResult }> {
    const row = await authorizedDocument(this.context.db, principal, id, 'read');
    return { document: toDocument(row), object: await this.context.storage.get(row.storage_key, range) };
  }

  /** The row behind a document and the number of its current version (null without version rows), for serving its content. */
  async storageKeyOf(principal: Principal, id: string): Promise<{ document: Document; storageKey: string; version: number | null }> {
    const row = await authorizedDocumentWithVersion(this.context.db, principal, id, 'read');
    return { document: toDocument(row), storageKey: row.storage_key, version: row.current_version };
  }

  async downloadUrl(principal: Principal, id: string, expiresInSeconds: number, disposition: 'attachment' | 'inline' = 'attachment'): Promise<{ url: string; expiresAt: string }> {
    const row = await authorizedDocument(this.context.db, principal, id, 'read');
    const url = await documentLink(this.context, row.storage_key, {
      expiresInSeconds,
      contentType: row.mime_type,
      contentDisposition: contentDisposition(row.file_name, disposition),
    });
    const expiresAt = new Date(this.context.now().getTime() + expiresInSeconds * 1000).toISOString();
    // The link is given only once its issue is recorded.
    await new ReadRecorder(this.context).linkIssued(principal, auditedRow(row), { version: (await contentOfKey(this.context.db, row.storage_key))?.version ?? null, disposition, expiresAt });
    return { url, expiresAt };
  }
}
