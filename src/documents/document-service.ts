import { Readable } from 'node:stream';
import type { Kysely, Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { DatabaseUnavailable, type Database } from '../db/database.js';
import type { GetResult, ObjectStorage } from '../storage/object-storage.js';
import { isStorageError } from '../storage/storage-errors.js';
import { SNIFF_BYTES, detectMimeType } from './content-detection.js';
import { DOCUMENT_TYPES, type Document, type DocumentType } from './document.js';
import { assertBuildingAction, assertTypeAllowed, canSeeBuilding, type BuildingAction } from './document-authorization.js';
import { DocumentError, isDocumentError } from './document-errors.js';
import * as repository from './document-repository.js';
import type { DocumentRow } from './documents.table.js';
import { contentDisposition, safeFileName } from './file-name.js';
import { removeWhenReachable } from './orphan-removal.js';
import { decodeCursor, encodeCursor, type CursorScope } from './list-cursor.js';

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

export interface UploadOptions {
  /**
   * Runs inside the transaction that records the document, after its row: what it writes commits
   * with the document or not at all (the HTTP layer records an `Idempotency-Key` outcome there).
   */
  beforeCommit?: (trx: Transaction<Database>, document: Document) => Promise<void>;
}

/** One part of a multipart upload, as the HTTP layer hands it over. */
export type UploadPart =
  | { kind: 'field'; name: string; value: string }
  | { kind: 'file'; fieldName: string; fileName: string | undefined; stream: Readable };

export interface DocumentPage {
  items: Document[];
  nextCursor: string | null;
}

const uuid = z.string().uuid();
const optionalUuid = z.preprocess((value) => (value === '' ? undefined : value), uuid.optional());

export const documentFieldsSchema = z.object({
  type: z.enum(DOCUMENT_TYPES),
  title: z.string().trim().min(1).max(255),
  description: z.preprocess((value) => (value === '' ? undefined : value), z.string().max(5000).optional()),
  relatedMeetingId: optionalUuid,
  relatedExpenseId: optionalUuid,
});

export const documentPatchSchema = z
  .object({
    type: z.enum(DOCUMENT_TYPES).optional(),
    title: z.string().trim().min(1).max(255).optional(),
    description: z.string().max(5000).nullable().optional(),
    relatedMeetingId: uuid.nullable().optional(),
    relatedExpenseId: uuid.nullable().optional(),
  })
  .strict();

export type DocumentPatch = z.infer<typeof documentPatchSchema>;

/**
 * The documents use cases: every call is authorised for its principal (a building or document the
 * caller may not see — another organisation's, or for a board member or owner one outside its
 * token: `documents.not_found`; a role too weak: `auth.forbidden`).
 */
export class DocumentService {
  private readonly db: Kysely<Database>;
  private readonly storage: ObjectStorage;
  private readonly now: () => Date;

  constructor(private readonly options: DocumentServiceOptions) {
    this.db = options.db;
    this.storage = options.storage;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Stores an upload: authorises before reading a byte, streams the file part to storage (its type
   * decided from its first bytes, its size limited while streaming), then records the row in a
   * transaction. Any failure after the object was stored removes it: nothing orphaned.
   */
  async upload(principal: Principal, buildingId: string, parts: AsyncIterable<UploadPart>, options: UploadOptions = {}): Promise<Document> {
    const { organizationId } = await this.authorizeBuilding(principal, buildingId, 'upload');
    const fields: Record<string, string> = {};
    let stored: { key: string; id: string; fileName: string; mimeType: string; size: number; sha256: string } | undefined;
    let failure: unknown;
    try {
      for await (const part of parts) {
        if (part.kind === 'field') {
          fields[part.name] = part.value;
          continue;
        }
        if (part.fieldName !== 'file' || stored !== undefined || failure !== undefined) {
          part.stream.resume();
          failure ??=
            part.fieldName !== 'file'
              ? DocumentError.invalid(part.fieldName, 'unexpected file part (send the file as "file")')
              : new DocumentError('upload.multiple_files', 'Send exactly one file part');
          continue;
        }
        // Fields sent before the file are checked before storing anything.
        if (fields.type !== undefined && fields.title !== undefined) this.validateFields(principal, fields);
        stored = await this.storeFile(organizationId, buildingId, part);
      }
      if (failure !== undefined) throw failure;
      if (stored === undefined) throw new DocumentError('upload.no_file', 'The request has no "file" part');
      const valid = this.validateFields(principal, fields);
      const now = this.now().toISOString();
      const row = {
        id: stored.id,
        organization_id: organizationId,
        building_id: buildingId,
        type: valid.type,
        title: valid.title,
        description: valid.description ?? null,
        file_name: stored.fileName,
        mime_type: stored.mimeType,
        size: stored.size,
        sha256: stored.sha256,
        uploaded_by: principal.userId,
        related_meeting_id: valid.relatedMeetingId ?? null,
        related_expense_id: valid.relatedExpenseId ?? null,
        storage_key: stored.key,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      };
      const document = toDocument({ ...row, status: 'active' });
      let committing = false;
      try {
        // The row is the commit point: until it is committed, the document does not exist.
        await this.db.transaction().execute(async (trx) => {
          const owner = await repository.claimBuilding(trx, buildingId, organizationId, now);
          if (owner !== organizationId) throw DocumentError.notFound('Building', buildingId);
          await repository.insertDocument(trx, row);
          await options.beforeCommit?.(trx, document);
          committing = true;
        });
      } catch (error) {
        // The database went away during COMMIT: the row may be committed, so its object stays
        // (`docstore reconcile` removes it if it was not).
        if (committing && error instanceof DatabaseUnavailable) stored = undefined;
        throw error;
      }
      return document;
    } catch (error) {
      if (stored !== undefined) {
        const { key } = stored;
        // Unreachable storage: the client still gets the original error; the object goes later.
        await this.storage.delete(key).catch(() => removeWhenReachable(this.storage, key, this.options.orphanRemovalDelaysMs));
      }
      throw error;
    }
  }

  async list(principal: Principal, buildingId: string, query: { type?: DocumentType; q?: string; limit: number; cursor?: string }, trash = false): Promise<DocumentPage> {
    await this.authorizeBuilding(principal, buildingId, trash ? 'trash' : 'read');
    const scope: CursorScope = { buildingId, type: query.type, q: query.q, trash };
    const rows = await repository.listDocuments(this.db, {
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
    return toDocument(await this.authorizedDocument(principal, id, 'read'));
  }

  /** The document and its content (whole or a range); the caller must consume or destroy the body. */
  async content(principal: Principal, id: string, range?: Parameters<ObjectStorage['get']>[1]): Promise<{ document: Document; object: GetResult }> {
    const row = await this.authorizedDocument(principal, id, 'read');
    return { document: toDocument(row), object: await this.storage.get(row.storage_key, range) };
  }

  /** The row behind a document, for serving its content through a signed link. */
  async storageKeyOf(principal: Principal, id: string): Promise<{ document: Document; storageKey: string }> {
    const row = await this.authorizedDocument(principal, id, 'read');
    return { document: toDocument(row), storageKey: row.storage_key };
  }

  async downloadUrl(principal: Principal, id: string, expiresInSeconds: number, disposition: 'attachment' | 'inline' = 'attachment'): Promise<{ url: string; expiresAt: string }> {
    const row = await this.authorizedDocument(principal, id, 'read');
    const url = await this.storage.presignGet(row.storage_key, {
      expiresInSeconds,
      contentType: row.mime_type,
      contentDisposition: contentDisposition(row.file_name, disposition),
    });
    return { url, expiresAt: new Date(this.now().getTime() + expiresInSeconds * 1000).toISOString() };
  }

  async update(principal: Principal, id: string, patch: DocumentPatch): Promise<Document> {
    const row = await this.authorizedDocument(principal, id, 'read');
    assertTypeAllowed(principal, row.type as DocumentType, 'edit');
    if (patch.type !== undefined) assertTypeAllowed(principal, patch.type, 'edit');
    const updated = await repository.updateDocument(this.db, id, {
      ...(patch.type === undefined ? {} : { type: patch.type }),
      ...(patch.title === undefined ? {} : { title: patch.title }),
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.relatedMeetingId === undefined ? {} : { related_meeting_id: patch.relatedMeetingId }),
      ...(patch.relatedExpenseId === undefined ? {} : { related_expense_id: patch.relatedExpenseId }),
      updated_at: this.now().toISOString(),
    });
    if (updated === undefined) throw DocumentError.notFound('Document', id);
    return toDocument(updated);
  }

  /** Moves a document to the trash: it leaves every listing; its object stays until purged. */
  async delete(principal: Principal, id: string): Promise<void> {
    await this.authorizedDocument(principal, id, 'delete');
    const now = this.now().toISOString();
    await repository.updateDocument(this.db, id, { deleted_at: now, updated_at: now });
  }

  async restore(principal: Principal, id: string): Promise<Document> {
    await this.authorizedDocument(principal, id, 'restore', true);
    const restored = await repository.updateDocument(this.db, id, { deleted_at: null, updated_at: this.now().toISOString() });
    if (restored === undefined) throw DocumentError.notFound('Document', id);
    return toDocument(restored);
  }

  /** Removes documents deleted more than `trashDays` ago: object first, then row. Returns how many. */
  async purge(): Promise<number> {
    const before = new Date(this.now().getTime() - this.options.trashDays * 86_400_000).toISOString();
    let purged = 0;
    for (;;) {
      const rows = await repository.listPurgeable(this.db, before, 100);
      for (const row of rows) {
        await this.storage.delete(row.storage_key);
        await repository.deleteDocumentRow(this.db, row.id);
        purged++;
      }
      if (rows.length < 100) return purged;
    }
  }

  /**
   * Compares storage and rows: objects without a row (orphans) and rows without an object
   * (missing). With `fix`, orphans older than `graceMs` (uploads in flight are younger) are
   * removed and missing rows are marked `broken`, never deleted.
   */
  async reconcile(options: { fix: boolean; graceMs?: number }): Promise<{ orphanObjects: string[]; missingObjects: string[]; fixed: number }> {
    const orphanObjects: string[] = [];
    const missingObjects: string[] = [];
    let fixed = 0;
    const cutoff = this.now().getTime() - (options.graceMs ?? 3_600_000);
    let batch: Array<{ key: string; lastModified: Date }> = [];
    const flush = async () => {
      const known = await repository.existingStorageKeys(this.db, batch.map((object) => object.key));
      for (const object of batch) {
        if (known.has(object.key) || object.key.startsWith('.docstore-self-check/')) continue;
        orphanObjects.push(object.key);
        if (options.fix && object.lastModified.getTime() < cutoff) {
          await this.storage.delete(object.key);
          fixed++;
        }
      }
      batch = [];
    };
    for await (const entry of this.storage.list()) {
      if (entry.kind !== 'object') continue;
      batch.push({ key: entry.key, lastModified: entry.lastModified });
      if (batch.length >= 500) await flush();
    }
    await flush();
    for await (const rows of repository.documentKeys(this.db)) {
      const present = await Promise.all(rows.map((row) => this.storage.exists(row.storageKey)));
      for (const [index, row] of rows.entries()) {
        if (present[index] === true) continue;
        missingObjects.push(row.storageKey);
        if (options.fix && row.status !== 'broken') {
          await repository.updateDocument(this.db, row.id, { status: 'broken', updated_at: this.now().toISOString() });
          fixed++;
        }
      }
    }
    return { orphanObjects, missingObjects, fixed };
  }

  /** Counts and bytes of live documents by type. */
  async statistics(): Promise<Array<{ type: string; count: number; bytes: number }>> {
    return repository.documentCounts(this.db);
  }

  /**
   * Establishes the building's organisation and the caller's right to act in it. A building the
   * caller may not see (`canSeeBuilding`), or an unknown one, is `not found` (both answer alike, so
   * existence is not revealed); only an upload may name an unknown building, which then becomes the
   * caller's.
   */
  private async authorizeBuilding(principal: Principal, buildingId: string, action: BuildingAction): Promise<{ organizationId: string }> {
    const building = await repository.findBuilding(this.db, buildingId);
    const organizationId = building?.organization_id ?? principal.organizationId;
    if ((building === undefined && action !== 'upload') || !canSeeBuilding(principal, { id: buildingId, organizationId })) {
      throw DocumentError.notFound('Building', buildingId);
    }
    assertBuildingAction(principal, buildingId, action);
    return { organizationId };
  }

  private async authorizedDocument(principal: Principal, id: string, action: BuildingAction, deleted = false): Promise<DocumentRow> {
    const row = await repository.findDocument(this.db, id);
    if (row === undefined || !canSeeBuilding(principal, { id: row.building_id, organizationId: row.organization_id }) || (row.deleted_at !== null) !== deleted) {
      throw DocumentError.notFound('Document', id);
    }
    assertBuildingAction(principal, row.building_id, action);
    return row;
  }

  private validateFields(principal: Principal, fields: Record<string, string>): z.infer<typeof documentFieldsSchema> {
    const parsed = documentFieldsSchema.safeParse(fields);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw DocumentError.invalid(String(issue?.path[0] ?? 'fields'), issue?.message ?? 'invalid');
    }
    assertTypeAllowed(principal, parsed.data.type, 'upload');
    return parsed.data;
  }

  /** Streams one file part into storage under a key with no user text. */
  private async storeFile(organizationId: string, buildingId: string, part: Extract<UploadPart, { kind: 'file' }>) {
    const id = uuidv7();
    const key = `${organizationId}/${buildingId}/${id}`;
    const fileName = safeFileName(part.fileName);
    const { sample, rest } = await readSample(part.stream, SNIFF_BYTES);
    if (sample.length === 0) throw new DocumentError('upload.empty_file', 'The file is empty');
    const mimeType = await detectMimeType(sample, fileName);
    if (mimeType === undefined || !this.options.allowedMimeTypes.has(mimeType)) {
      part.stream.resume();
      throw new DocumentError('upload.unsupported_content', `This content is not accepted (detected: ${mimeType ?? 'unknown'})`, {
        detected: mimeType ?? null,
      });
    }
    const limit = this.options.maxUploadBytes;
    let size = 0;
    const body = Readable.from(
      (async function* () {
        const tooLarge = () => new DocumentError('upload.too_large', `The file is larger than ${limit} bytes`, { limit });
        size = sample.length;
        if (size > limit) throw tooLarge();
        yield sample;
        for await (const piece of rest) {
          size += piece.length;
          if (size > limit) throw tooLarge();
          yield piece;
        }
      })(),
    );
    try {
      const result = await this.storage.put(key, body, {
        contentType: mimeType,
        contentDisposition: contentDisposition(fileName),
        metadata: { 'document-id': id },
        ifNoneMatch: '*',
      });
      return { key, id, fileName, mimeType, size: result.size, sha256: result.sha256 };
    } catch (error) {
      part.stream.resume();
      // The write may still land once a frozen storage resumes: its object must not stay.
      if (isStorageError(error) && error.code === 'storage.unavailable') removeWhenReachable(this.storage, key, this.options.orphanRemovalDelaysMs);
      const cause = isStorageError(error) ? (error.cause as unknown) : undefined;
      if (isDocumentError(cause)) throw cause;
      if (isStorageError(error) && (error.code === 'storage.operation_failed' || error.code === 'storage.aborted')) {
        throw new DocumentError('upload.aborted', 'The upload was interrupted', {}, { cause: error });
      }
      throw error;
    }
  }
}

/** Reads up to `bytes` from the start of a stream, and returns them with an iterator over the rest. */
async function readSample(stream: Readable, bytes: number): Promise<{ sample: Buffer; rest: AsyncIterable<Buffer> }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => (done ? { next: async () => ({ done: true, value: undefined }) } : iterator),
  };
  return { sample: Buffer.concat(chunks, length), rest };
}

export function toDocument(row: DocumentRow): Document {
  return {
    id: row.id,
    organizationId: row.organization_id,
    buildingId: row.building_id,
    type: row.type as DocumentType,
    title: row.title,
    description: row.description,
    fileName: row.file_name,
    mimeType: row.mime_type,
    size: Number(row.size),
    sha256: row.sha256,
    uploadedBy: row.uploaded_by,
    relatedMeetingId: row.related_meeting_id,
    relatedExpenseId: row.related_expense_id,
    status: row.status === 'broken' ? 'broken' : 'active',
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    deletedAt: row.deleted_at === null ? null : new Date(row.deleted_at).toISOString(),
  };
}
