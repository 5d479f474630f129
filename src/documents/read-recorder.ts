import { actorOf, type AuditActor } from '../audit/audit-entry.js';
import type { Principal, RequestOrigin } from '../shared/principal.js';
import { auditedRow, documentEntry, type AuditedDocument } from './document-audit.js';
import type { DocumentContext } from './document-context.js';
import { contentOfKey } from './versions/document-version-repository.js';

/** A read about to be served: the whole content or a range (inclusive offsets), as a download or inline. */
export interface ContentRead {
  disposition: 'attachment' | 'inline';
  range?: { start: number; end: number };
}

/**
 * Records reads in the audit trail, before their first byte is sent: a failure to record fails
 * the read (the archive never serves a document it could not account for). A download is
 * `document.download`, an inline one `document.preview`; a signed link's use is
 * `document.link_use`, its issue `document.link_issue`. Each names the version read.
 */
export class ReadRecorder {
  constructor(private readonly context: DocumentContext) {}

  /**
   * A token holder's read of the object under `storageKey` (the current content, or a version's):
   * `version` when the caller knows it (null: the document has no version rows), else looked up.
   */
  async read(principal: Principal, document: AuditedDocument, storageKey: string, read: ContentRead, version?: number | null): Promise<void> {
    const { db, audit } = this.context;
    const resolved = version !== undefined ? version : ((await contentOfKey(db, storageKey))?.version ?? null);
    await audit.record(db, documentEntry(read.disposition === 'inline' ? 'document.preview' : 'document.download', actorOf(principal), document, { version: resolved, ...detailsOf(read) }));
  }

  /** A signed link made for a token holder. */
  async linkIssued(principal: Principal, document: AuditedDocument, link: { version: number | null; disposition: 'attachment' | 'inline'; expiresAt: string }): Promise<void> {
    const { db, audit } = this.context;
    await audit.record(db, documentEntry('document.link_issue', actorOf(principal), document, { version: link.version, details: { disposition: link.disposition, expiresAt: link.expiresAt } }));
  }

  /**
   * A signed link's use: the document is found from the link's storage key. Nothing is recorded
   * for a key that is no document's version (an export archive, an upload link).
   */
  async linkUsed(storageKey: string, origin: Omit<RequestOrigin, 'channel'>, read: ContentRead): Promise<void> {
    const { db, audit } = this.context;
    const content = await contentOfKey(db, storageKey);
    if (content === undefined) return;
    const actor: AuditActor = { kind: 'link', subject: null, role: null, ...origin };
    await audit.record(db, documentEntry('document.link_use', actor, auditedRow(content), { version: content.version, ...detailsOf(read) }));
  }
}

function detailsOf(read: ContentRead): { details?: Record<string, unknown> } {
  return { details: { disposition: read.disposition, ...(read.range === undefined ? {} : { range: read.range }) } };
}
