import type { Kysely, Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import type { ObjectLinkSigner } from '../storage/object-link-signer.js';
import { DocumentObjectLock } from './retention/document-object-lock.js';
import { DocumentProtection, type ProtectionListener } from './retention/document-protection.js';
import type { RetentionOverrides } from './retention/retention-rules.js';

export interface DocumentServiceOptions {
  db: Kysely<Database>;
  storage: ObjectStorage;
  /** The audit trail: every use case records its action in the transaction of its change (reads: before the first byte). */
  audit: AuditLog;
  /**
   * Signs documents' download links, served by docstore (`/api/v1/signed`) whatever the storage:
   * each use is then integrity-checked and recorded (`document.link_use`). Without it, links are the
   * storage's own (a plain S3 bucket's would be used unseen).
   */
  linkSigner?: ObjectLinkSigner;
  /** MIME types accepted, as detected from the content. */
  allowedMimeTypes: ReadonlySet<string>;
  /** Largest upload, in bytes. */
  maxUploadBytes: number;
  /** Days a deleted document stays in the trash before `purge` removes it. */
  trashDays: number;
  now?: () => Date;
  /** Delays of the background deletes of an upload's object after its storage failed. @default ORPHAN_REMOVAL_DELAYS_MS */
  orphanRemovalDelaysMs?: readonly number[];
  /** `DOCSTORE_RETENTION`: the service's retention periods by type, over docstore's defaults. @default {} */
  retention?: RetentionOverrides;
  /**
   * Told when documents' retention or hold change, once committed: under S3_OBJECT_LOCK the
   * composition root passes `objectLockFollower`, which extends and holds the stored versions.
   */
  onProtectionChanged?: ProtectionListener;
  /**
   * Runs inside the transaction that records a new version (an upload is version 1), after its
   * rows: search queues the version's text extraction there, so that no version goes without.
   */
  onVersionRecorded?: (trx: Transaction<Database>, version: RecordedVersion) => Promise<void>;
  /** Runs inside the transaction that edits a document's fields: search rewrites its index entry (the title) there. */
  onDocumentEdited?: (trx: Transaction<Database>, documentId: string) => Promise<void>;
}

/** A version just recorded, as `onVersionRecorded` is told of it. */
export interface RecordedVersion {
  documentId: string;
  version: number;
  /** For an upload (version 1): the new document's title, file name and building, as recorded in this transaction. */
  created?: { title: string; fileName: string; buildingId: string };
}

/** What the documents use cases share: the service's options with the clock resolved. */
export interface DocumentContext extends DocumentServiceOptions {
  now: () => Date;
  /** Retention and legal hold: the guard of every delete path (`assertDeletable`). */
  protection: DocumentProtection;
  /** The Object Lock a document's new object is written with (empty without `capabilities.objectLock`). */
  objectLock: DocumentObjectLock;
}

export function documentContext(options: DocumentServiceOptions): DocumentContext {
  const now = options.now ?? (() => new Date());
  const protection = new DocumentProtection(options.db, {
    now,
    ...(options.retention === undefined ? {} : { serviceRetention: options.retention }),
    ...(options.onProtectionChanged === undefined ? {} : { onProtectionChanged: options.onProtectionChanged }),
  });
  const objectLock = new DocumentObjectLock(options.db, options.storage, protection);
  return { ...options, now, protection, objectLock };
}
