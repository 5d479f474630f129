import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { EVENTS, Server, type DataStore, type Locker, type Upload } from '@tus/server';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { authorizeBuilding, authorizedDocument } from '../documents/document-access.js';
import { assertTypeAllowed } from '../documents/document-authorization.js';
import { DocumentError } from '../documents/document-errors.js';
import { validateDocumentFields } from '../documents/document-fields.js';
import type { DocumentService, UploadPart } from '../documents/document-service.js';
import { isDocstoreError } from '../errors/docstore-error.js';
import type { DocumentType } from '../shared/document.js';
import type { Principal } from '../shared/principal.js';
import { CREATOR_KEY, creatorOf, parseUploadMetadataHeader, toResumableUploadMetadata, type ResumableUploadMetadata } from './resumable-upload-metadata.js';
import type { ResumableUploadCompletions } from './resumable-upload-completions.js';
import { checksumMismatch, digestWithSample, sha256Checked } from './sha256-checked-stream.js';
import { SNIFF_BYTES } from '../shared/content-detection.js';
import { ReceivedDigests, type ReceivingBody } from './received-digests.js';
import type { RequestBody } from './stores/request-body.js';
import { tusErrorToDocumentError, tusProblem } from './tus-errors.js';

/**
 * A tus store docstore can read a finished upload from (`@tus/file-store`, `@tus/s3-store`), told
 * when a finished upload's bytes became a document's object (`markAdopted`) if it cares.
 */
export type ReadableDataStore = DataStore & {
  read(id: string): Readable | Promise<Readable>;
  markAdopted?(id: string): void;
  /** Runs one request's work with the store's metadata read once (see `RequestCachedKvStore`). */
  withRequestCache?<R>(work: () => Promise<R>): Promise<R>;
  /** Runs one request's handling, its body declared `bytes` long (its `Content-Length`) and, for a `PATCH`, written at `offset` (its `Upload-Offset`). */
  withDeclaredWrite?<R>(declared: DeclaredWrite, work: () => Promise<R>): Promise<R>;
  /** Runs one request's handling, the store's `write` reading `body` itself instead of tus's stream (see `FinishedUploadFileStore`). */
  withRequestBody?<R>(body: RequestBody, work: () => Promise<R>): Promise<R>;
  /**
   * Upload `id` as its metadata says, without its offset (which may be stale); tus's FILE_NOT_FOUND
   * when absent. `claimedOffset`: the offset the `PATCH` being admitted claims.
   */
  getUploadMetadata?(id: string, claimedOffset?: number): Promise<Upload>;
};

/** What a request that writes an upload declares: its body's length and, for a `PATCH`, the offset it claims. */
export interface DeclaredWrite {
  bytes: number;
  offset: number | undefined;
}

/** An upload's id in its URL. */
const URL_ID = /^[0-9a-f]{32}$/;

/** The headers that tell a client which document its finished upload became. */
export const DOCUMENT_ID_HEADER = 'Docstore-Document-Id';
export const DOCUMENT_VERSION_HEADER = 'Docstore-Document-Version';

export interface ResumableUploadsOptions {
  db: Kysely<Database>;
  documents: DocumentService;
  /** Makes a finished upload one document at most, across instances, and remembers which. */
  completions: ResumableUploadCompletions;
  /** Where the parts live until the upload is complete. */
  datastore: ReadableDataStore;
  /** The largest file accepted, in bytes (checked from `Upload-Length` and while receiving). */
  maxUploadBytes: number;
  /** Keeps two requests from writing one upload at once; closed by `stop`. @default tus's MemoryLocker (this process only) */
  locker?: Locker & { close?(): Promise<void> };
  /** Origins whose pages may call the endpoint (CORS). @default none */
  corsOrigins?: readonly string[];
  /** What the store's ids start with before the id a URL names (an S3 key prefix). @default '' */
  idPrefix?: string;
  /** The URL path of the endpoint. @default '/api/v1/uploads' */
  path?: string;
  /** Told when a finished upload's parts could not be removed (the document is stored all the same). */
  onRemovalError?: (error: unknown, id: string) => void;
  /** Told of each upload's outcome (metrics). */
  onOutcome?: (outcome: ResumableUploadOutcome) => void;
  /**
   * Where the store keeps uploads inside the documents' storage, and that storage adopts foreign
   * content (`ObjectStorage.adopt`): the storage key of the finished upload `id`'s bytes. A finished
   * upload then becomes the document's object without being written again. @default none: the
   * finished upload's bytes are streamed into the storage as a multipart upload's are
   */
  foreignKeyOf?: (id: string) => string;
}

/** What became of a resumable upload: `refused` at completion (type, SHA-256, size), `expired` unfinished. */
export type ResumableUploadOutcome = 'created' | 'completed' | 'refused' | 'expired';

/** Where an upload stands, as `GET /api/v1/uploads/{id}` answers it. */
export interface ResumableUploadState {
  id: string;
  offset: number;
  length: number | null;
  /** Once the upload is complete: the document it became (and its version). */
  documentId?: string;
  documentVersion?: number;
}

/**
 * Resumable uploads (tus 1.0) in front of the documents service: each request is authorised as a
 * multipart upload is (creation and every later request, by the upload's creator only), and the
 * finished upload goes through the same pipeline (sniffing, allowed types, size limit, create-only
 * storage, row and audit entry in one transaction), then its parts are removed. Nothing becomes a
 * document before the upload is complete.
 */
export class ResumableUploads {
  readonly server: Server;
  private readonly principals = new WeakMap<Request, Principal>();
  private readonly finished = new WeakMap<Request, string>();
  /** The body each writing request hands the store, hashed on its way (see `ReceivedDigests`). */
  private readonly bodies = new WeakMap<Request, ReceivingBody>();
  private readonly digests = new ReceivedDigests(SNIFF_BYTES);
  private readonly idPrefix: string;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ResumableUploadsOptions) {
    this.idPrefix = options.idPrefix ?? '';
    this.server = new Server({
      path: options.path ?? '/api/v1/uploads',
      datastore: options.datastore,
      ...(options.locker === undefined ? {} : { locker: options.locker }),
      maxSize: options.maxUploadBytes,
      relativeLocation: true,
      // CORS headers for the allowed origins only (tus's default is `*`).
      allowedOrigins: (origin) => (options.corsOrigins ?? []).includes(origin),
      // The store's ids carry the prefix; URLs name the 32 hex digits after it.
      namingFunction: () => `${this.idPrefix}${randomBytes(16).toString('hex')}`,
      generateUrl: (_request, { path, id }) => `${path}/${id.slice(this.idPrefix.length)}`,
      getFileIdFromRequest: (_request, lastPath) => (lastPath !== undefined && URL_ID.test(lastPath) ? `${this.idPrefix}${lastPath}` : undefined),
      exposedHeaders: [DOCUMENT_ID_HEADER, DOCUMENT_VERSION_HEADER],
      onUploadCreate: async (request, upload) => {
        const body = this.bodies.get(request);
        if (body !== undefined) body.id = upload.id;
        return { metadata: { ...upload.metadata, [CREATOR_KEY]: creatorOf(this.principalOf(request)) } };
      },
      onUploadFinish: async (request, upload) => ({ headers: await this.complete(request, upload) }),
      onResponseError: (request, error) => {
        const problem = tusProblem(error, new URL(request.url).pathname);
        return { status_code: problem.status, body: JSON.stringify(problem) };
      },
    });
    this.server.on(EVENTS.POST_CREATE, () => options.onOutcome?.('created'));
  }

  /**
   * Removes the parts of every unfinished upload past its expiry (local parts, S3 multipart uploads
   * aborted); returns how many.
   */
  async cleanUpExpired(): Promise<number> {
    const removed = await this.server.cleanUpExpiredUploads();
    for (let i = 0; i < removed; i += 1) this.options.onOutcome?.('expired');
    return removed;
  }

  /** Sweeps expired uploads every `intervalMs` until `stop`; a failed sweep is told to `onError` and retried at the next. */
  startSweeping(intervalMs: number, onError: (error: unknown) => void): void {
    this.sweeper = setInterval(() => {
      this.sweeping = this.cleanUpExpired().catch(onError);
    }, intervalMs);
    this.sweeper.unref();
  }

  /** Stops sweeping, once a sweep under way has ended, and closes the locker. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await this.sweeping;
    await this.options.locker?.close?.();
  }

  /**
   * Answers one tus request of an authenticated caller (`undefined` for `OPTIONS` only), whom the
   * hooks that run for it (creation, completion) act for. `body`: the Node stream the request's
   * body is read from, hashed on its way (see `hashed`).
   */
  async handle(request: Request, principal: Principal | undefined, body?: Readable): Promise<Response> {
    if (principal !== undefined) this.principals.set(request, principal);
    const declared = request.headers.get('content-length') ?? undefined;
    const direct = body !== undefined && this.handsBodyToStore(request.method, declared);
    const receiving = body === undefined ? undefined : this.hashed(request, body, direct);
    try {
      const offset = decimal(request.headers.get('upload-offset'));
      const handed: RequestBody | undefined = direct ? { stream: body, bytes: Number(declared), ...(offset === undefined ? {} : { offset }), ...(receiving === undefined ? {} : { onChunk: (piece: Buffer) => receiving.update(piece) }) } : undefined;
      const response = await (handed === undefined ? this.handled(request) : this.handledWithBody(request, handed));
      const reached = response.ok ? response.headers.get('upload-offset') : null;
      if (receiving !== undefined) this.digests.settle(receiving, reached === null ? undefined : Number(reached));
      return response;
    } catch (error) {
      if (receiving !== undefined) this.digests.settle(receiving, undefined);
      throw error;
    } finally {
      // A finished upload's parts go once its answer is decided (tus reads the upload back until then).
      const finished = this.finished.get(request);
      if (finished !== undefined) await this.options.datastore.remove(finished).catch((error: unknown) => this.options.onRemovalError?.(error, finished));
    }
  }

  /**
   * Whether `handle` hands a request's Node body to the store itself (`withRequestBody`: a `PATCH`
   * of declared length, where the store can): then the web `Request` carries no body.
   */
  handsBodyToStore(method: string, contentLength: string | undefined): boolean {
    return this.options.datastore.withRequestBody !== undefined && method === 'PATCH' && contentLength !== undefined && /^\d+$/.test(contentLength);
  }

  /** tus's answer to `request`, the store reading `body` (see `handsBodyToStore`). */
  private handledWithBody(request: Request, body: RequestBody): Promise<Response> {
    const { datastore } = this.options;
    if (datastore.withRequestBody === undefined) throw new Error('the store does not take request bodies');
    return datastore.withRequestBody(body, () => this.server.handleWeb(request));
  }

  /**
   * tus's answer to `request`, the store told what the request declares it writes (see
   * `withDeclaredWrite`): a creation carrying data. A `PATCH` of declared length goes through
   * `handledWithBody` where the store can; one without any is not told.
   */
  private handled(request: Request): Promise<Response> {
    const { datastore } = this.options;
    const bytes = decimal(request.headers.get('content-length'));
    const writes = request.method === 'PATCH' || request.headers.get('content-type') === 'application/offset+octet-stream';
    if (datastore.withDeclaredWrite === undefined || bytes === undefined || !writes) return this.server.handleWeb(request);
    const offset = request.method === 'PATCH' ? decimal(request.headers.get('upload-offset')) : undefined;
    return datastore.withDeclaredWrite({ bytes, offset }, () => this.server.handleWeb(request));
  }

  /**
   * Hashes the bytes of a request that writes an upload (a `PATCH`, a creation carrying data) as
   * they arrive, where the finished upload may become the document's object as it is
   * (`foreignKeyOf`): `body` is the stream the request's body is read from, already being read
   * (its `data` events are listened to, not consumed), or, `direct`, the one the store reads (then
   * hashed piece by piece as the store reads it).
   */
  private hashed(request: Request, body: Readable, direct: boolean): ReceivingBody | undefined {
    const writes = request.method === 'PATCH' || (request.method === 'POST' && request.headers.get('content-type') === 'application/offset+octet-stream');
    if (this.options.foreignKeyOf === undefined || !writes) return undefined;
    const urlId = new URL(request.url).pathname.split('/').pop() ?? '';
    const id = request.method === 'PATCH' && URL_ID.test(urlId) ? `${this.idPrefix}${urlId}` : undefined;
    const offset = request.method === 'PATCH' ? Number(request.headers.get('upload-offset') ?? Number.NaN) : 0;
    if (!Number.isSafeInteger(offset) || (request.method === 'PATCH' && id === undefined)) return undefined;
    const receiving = this.digests.receive(id, offset);
    // Handed to the store, the body is hashed as the store reads it (a listener here would start it flowing).
    if (!direct) body.on('data', (piece: Buffer) => receiving.update(piece));
    this.bodies.set(request, receiving);
    return receiving;
  }

  /** Runs the work of one request (its admission, then `handle`), the store reading each upload's metadata once. */
  withinRequest<R>(work: () => Promise<R>): Promise<R> {
    const { datastore } = this.options;
    return datastore.withRequestCache === undefined ? work() : datastore.withRequestCache(work);
  }

  /**
   * Admits a creation (`POST`): the caller may upload these fields into this building (or a version
   * of this document), and the declared `Upload-Length` is within the limit (`upload.too_large`).
   */
  async admitCreation(principal: Principal, headers: { uploadLength: string | undefined; uploadMetadata: string | undefined }): Promise<void> {
    if (headers.uploadLength === undefined || !/^\d+$/.test(headers.uploadLength)) {
      throw DocumentError.invalid('Upload-Length', 'required (a deferred length is not supported)');
    }
    const length = Number(headers.uploadLength);
    if (length > this.options.maxUploadBytes) {
      throw new DocumentError('upload.too_large', `The file is larger than ${this.options.maxUploadBytes} bytes`, { limit: this.options.maxUploadBytes });
    }
    if (length === 0) throw new DocumentError('upload.empty_file', 'The file is empty');
    await this.authorize(principal, toResumableUploadMetadata(parseUploadMetadataHeader(headers.uploadMetadata)));
  }

  /**
   * Admits any later request on upload `id`: only its creator (same subject and organisation), who
   * may still upload there. Another caller gets `upload.not_found`, as for an absent upload.
   */
  async admitAccess(principal: Principal, id: string): Promise<ResumableUploadState> {
    const admitted = await this.admitted(principal, id, (storeId) => this.options.datastore.getUpload(storeId));
    if ('completed' in admitted) return admitted.completed;
    return { id, offset: admitted.upload.offset, length: admitted.upload.size ?? null };
  }

  /**
   * Admits a `PATCH` without `Upload-Checksum` as `admitAccess` does, reading only the upload's
   * metadata where the store can (`getUploadMetadata`: on S3 its `.info`, not its parts): its
   * offset is tus's to read and check, under the upload's lock.
   */
  async admitWrite(principal: Principal, id: string, uploadOffset?: string): Promise<void> {
    const { datastore } = this.options;
    const claimed = decimal(uploadOffset ?? null);
    await this.admitted(principal, id, (storeId) => (datastore.getUploadMetadata === undefined ? datastore.getUpload(storeId) : datastore.getUploadMetadata(storeId, claimed)));
  }

  private async admitted(principal: Principal, id: string, read: (storeId: string) => Promise<Upload>): Promise<{ upload: Upload } | { completed: ResumableUploadState }> {
    if (!URL_ID.test(id)) throw new DocumentError('upload.not_found', `Upload ${id} not found`, { id });
    let upload: Upload;
    try {
      upload = await read(`${this.idPrefix}${id}`);
    } catch (error) {
      const mapped = isDocstoreError(error) ? error : tusErrorToDocumentError(error, id);
      // A finished upload's parts are gone; its creator still learns which document it became.
      const completion = isDocstoreError(mapped) && mapped.code === 'upload.not_found' ? await this.options.completions.of(principal, id) : undefined;
      if (completion === undefined) throw mapped;
      return { completed: { id, offset: completion.length, length: completion.length, documentId: completion.documentId, documentVersion: completion.version } };
    }
    if (upload.metadata?.[CREATOR_KEY] !== creatorOf(principal)) throw new DocumentError('upload.not_found', `Upload ${id} not found`, { id });
    await this.authorize(principal, toResumableUploadMetadata(upload.metadata ?? {}));
    return { upload };
  }

  private async authorize(principal: Principal, metadata: ResumableUploadMetadata): Promise<void> {
    const { db } = this.options;
    if (metadata.documentId !== undefined) {
      const row = await authorizedDocument(db, principal, metadata.documentId, 'upload');
      assertTypeAllowed(principal, row.type as DocumentType, 'upload');
      return;
    }
    await authorizeBuilding(db, principal, metadata.building ?? '', 'upload');
    validateDocumentFields(principal, fieldsOf(metadata));
  }

  /**
   * Runs the upload pipeline on the finished upload's bytes, streamed from the store (checked
   * against the declared SHA-256), once across instances: the upload's completion is claimed first
   * (a completion under way elsewhere answers `idempotency.in_progress`, one already done its
   * document) and recorded with the document's row. `handle` then removes the parts, whatever the
   * outcome: a refused upload cannot be resumed.
   */
  private async complete(request: Request, upload: Upload): Promise<Record<string, string>> {
    const principal = this.principalOf(request);
    const id = upload.id.slice(this.idPrefix.length);
    const { completions } = this.options;
    const claim = await completions.claim(principal, id);
    if (claim.kind === 'completed') return answerOf(claim.completion);
    const { reservation } = claim;
    this.finished.set(request, upload.id);
    const length = upload.size ?? upload.offset;
    const metadata = toResumableUploadMetadata(upload.metadata ?? {});
    const reading: { read?: Readable } = {};
    try {
      const file = await this.finishedFile(request, upload, id, metadata, reading);
      const completion = await this.store(principal, metadata, file, (trx, documentId, version) => completions.record(trx, reservation, { documentId, version, length }));
      if (file.kind === 'foreign') this.options.datastore.markAdopted?.(upload.id);
      completions.settled(reservation);
      this.options.onOutcome?.('completed');
      return answerOf(completion);
    } catch (error) {
      this.options.onOutcome?.('refused');
      await completions.release(reservation).catch(() => undefined);
      throw error;
    } finally {
      reading.read?.destroy();
    }
  }

  /**
   * The finished upload as the file of the upload pipeline. In the storage (`foreignKeyOf`): its
   * first bytes and SHA-256 (checked against the declared one) as hashed while it was received
   * (`ReceivedDigests`), else read once for them; then adopted where it is. Elsewhere: streamed into the storage, checked against the declared SHA-256 as it goes.
   */
  private async finishedFile(request: Request, upload: Upload, id: string, metadata: ResumableUploadMetadata, reading: { read?: Readable }): Promise<UploadPart> {
    const { foreignKeyOf, datastore } = this.options;
    const length = upload.size ?? upload.offset;
    const received = this.digests.finish(this.bodies.get(request), length);
    if (foreignKeyOf === undefined) {
      const read = (reading.read = await datastore.read(upload.id));
      return { kind: 'file', fieldName: 'file', fileName: metadata.filename, stream: metadata.sha256 === undefined ? read : sha256Checked(read, metadata.sha256) };
    }
    const { sample, sha256, size } = received === undefined ? await digestWithSample((reading.read = await datastore.read(upload.id)), SNIFF_BYTES) : { ...received, size: length };
    if (metadata.sha256 !== undefined && sha256 !== metadata.sha256) throw checksumMismatch(metadata.sha256, sha256);
    return { kind: 'foreign', fieldName: 'file', fileName: metadata.filename, sourceKey: foreignKeyOf(id), size, sha256, sample };
  }

  private async store(
    principal: Principal,
    metadata: ResumableUploadMetadata,
    file: UploadPart,
    beforeCommit: (trx: Transaction<Database>, documentId: string, version: number) => Promise<void>,
  ): Promise<{ documentId: string; version: number }> {
    if (metadata.documentId !== undefined) {
      const documentId = metadata.documentId;
      const version = await this.options.documents.addVersion(principal, documentId, single(file), { beforeCommit: (trx, added) => beforeCommit(trx, documentId, added.version) });
      return { documentId, version: version.version };
    }
    const fields = Object.entries(fieldsOf(metadata)).map(([name, value]): UploadPart => ({ kind: 'field', name, value }));
    const document = await this.options.documents.upload(principal, metadata.building ?? '', single(...fields, file), { beforeCommit: (trx, made) => beforeCommit(trx, made.id, 1) });
    return { documentId: document.id, version: 1 };
  }

  private principalOf(request: Request): Principal {
    const principal = this.principals.get(request);
    // The route authenticates every request before handing it over; a request that skipped it is a bug.
    if (principal === undefined) throw new Error('resumable upload request without an authenticated caller');
    return principal;
  }
}

/** The headers naming the document an upload became. */
export function answerOf(completion: { documentId: string; version: number }): Record<string, string> {
  return { [DOCUMENT_ID_HEADER]: completion.documentId, [DOCUMENT_VERSION_HEADER]: String(completion.version) };
}

/** A header's value as a non-negative integer, undefined when it is absent or not only digits. */
function decimal(value: string | null): number | undefined {
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

function fieldsOf(metadata: ResumableUploadMetadata): Record<string, string> {
  const fields: Record<string, string> = {};
  if (metadata.type !== undefined) fields.type = metadata.type;
  if (metadata.title !== undefined) fields.title = metadata.title;
  if (metadata.documentDate !== undefined) fields.documentDate = metadata.documentDate;
  if (metadata.contractEndDate !== undefined) fields.contractEndDate = metadata.contractEndDate;
  return fields;
}

async function* single(...parts: UploadPart[]): AsyncIterable<UploadPart> {
  yield* parts;
}
