import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { ObjectStorage } from '../storage/object-storage.js';

export interface DocumentServiceOptions {
  db: Kysely<Database>;
  storage: ObjectStorage;
  /** MIME types accepted, as detected from the content. */
  allowedMimeTypes: ReadonlySet<string>;
  /** Largest upload, in bytes. */
  maxUploadBytes: number;
  /** Days a deleted document stays in the trash before `purge` removes it. */
  trashDays: number;
  now?: () => Date;
  /** Delays of the background deletes of an upload's object after its storage failed. @default ORPHAN_REMOVAL_DELAYS_MS */
  orphanRemovalDelaysMs?: readonly number[];
}

/** What the documents use cases share: the service's options with the clock resolved. */
export interface DocumentContext extends DocumentServiceOptions {
  now: () => Date;
}

export function documentContext(options: DocumentServiceOptions): DocumentContext {
  return { ...options, now: options.now ?? (() => new Date()) };
}
