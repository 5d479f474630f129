import { sha256 } from '@noble/hashes/sha2';
import { DetailedError, Upload } from 'tus-js-client';
import { ApiError, problemOf, type DocumentDates } from './api.js';

/** Read and hashed at a time: memory stays at one slice whatever the file's size. */
const HASH_SLICE_BYTES = 4 * 1024 * 1024;
/** One `PATCH` per chunk: what a lost connection costs at most. */
const CHUNK_BYTES = 5 * 1024 * 1024;
/** Waits before each new attempt after a network failure (ms); the last one repeats for as long as the browser is offline. */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000];

/**
 * The SHA-256 of a whole file as hex, read slice by slice (Web Crypto digests only a whole buffer:
 * an incremental SHA-256, `@noble/hashes`, keeps memory flat for 50 MB scans).
 */
export async function fileSha256(file: Blob, onProgress: (hashed: number) => void): Promise<string> {
  const hash = sha256.create();
  for (let offset = 0; offset < file.size; offset += HASH_SLICE_BYTES) {
    hash.update(new Uint8Array(await file.slice(offset, offset + HASH_SLICE_BYTES).arrayBuffer()));
    onProgress(Math.min(file.size, offset + HASH_SLICE_BYTES));
  }
  return [...hash.digest()].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export interface ResumableUploadEvents {
  onProgress(sent: number, total: number): void;
  /** The connection was lost: tus-js-client tries again on its own (`RETRY_DELAYS`). */
  onRetry(): void;
}

/** What a finished upload became: a new document (version 1) or a new version of one. */
export interface UploadedDocument {
  documentId: string;
  version: number;
}

/** A tus upload in flight (`/api/v1/uploads`, docs/api.md): its outcome, pause, resume and cancel. */
export interface ResumableUpload {
  done: Promise<UploadedDocument>;
  pause(): void;
  resume(): void;
  /** Stops and deletes the unfinished upload on the server. */
  cancel(): void;
}

/** Where a file goes: a new document of a building (its fields), or a new version of a document. */
export type ResumableTarget = ({ buildingId: string; type: string; title: string } & DocumentDates) | { documentId: string };

/** The tus `Upload-Metadata` of a file sent to `target` (docs/api.md): a contract's end date only when set, a version the document's id alone. */
function metadataOf(target: ResumableTarget, file: File, sha256: string): Record<string, string> {
  if ('documentId' in target) return { documentId: target.documentId, filename: file.name, sha256 };
  const metadata: Record<string, string> = { building: target.buildingId, type: target.type, title: target.title, filename: file.name, sha256 };
  if (target.documentDate !== undefined) metadata.documentDate = target.documentDate;
  if (target.contractEndDate != null) metadata.contractEndDate = target.contractEndDate;
  return metadata;
}

/**
 * Sends a file through tus, as a new document or a new version (`target`), with its SHA-256
 * (`fileSha256`): `chunkSize` bytes per request, resumed by itself when the connection comes back,
 * and after a page reload when the same file goes to the same building or document (its URL is kept
 * in localStorage under a fingerprint of the target, size and SHA-256; removed on success). The
 * API's refusals become `ApiError`s, as a multipart upload's.
 */
export function uploadResumable(
  credentials: { authorization: string; onUnauthorized: () => void },
  file: File,
  target: ResumableTarget,
  sha256: string,
  events: ResumableUploadEvents,
  chunkSize: number = CHUNK_BYTES,
): ResumableUpload {
  let upload: Upload | undefined;
  let cancelled = false;
  let rejectDone: (error: ApiError) => void = () => undefined;
  const done = new Promise<UploadedDocument>((resolve, reject) => {
    rejectDone = reject;
    upload = new Upload(file, {
      endpoint: '/api/v1/uploads',
      headers: { authorization: credentials.authorization },
      metadata: metadataOf(target, file, sha256),
      chunkSize,
      retryDelays: RETRY_DELAYS,
      removeFingerprintOnSuccess: true,
      fingerprint: () => Promise.resolve(['docstore-tus', 'documentId' in target ? `v${target.documentId}` : target.buildingId, file.size, sha256].join('-')),
      onProgress: events.onProgress,
      onShouldRetry: (error, _attempt, options) => {
        const status = error instanceof DetailedError ? (error.originalResponse?.getStatus() ?? 0) : 0;
        // A network failure (no answer) or a 5xx/409/423: tus-js-client's own rule, telling the page first.
        const retry = status === 0 || status >= 500 || status === 409 || status === 423;
        if (retry && options.retryDelays !== null) events.onRetry();
        return retry;
      },
      onSuccess: ({ lastResponse }) => {
        const documentId = lastResponse.getHeader('Docstore-Document-Id');
        if (documentId !== undefined && documentId !== '') resolve({ documentId, version: Number(lastResponse.getHeader('Docstore-Document-Version') ?? '1') });
        else reject(new ApiError(lastResponse.getStatus(), 'http.error', 'the upload finished without a document id'));
      },
      onError: (error) => {
        if (cancelled) return reject(new ApiError(0, 'aborted', 'cancelled'));
        const response = error instanceof DetailedError ? error.originalResponse : null;
        if (response === null || response.getStatus() === 0) return reject(new ApiError(0, 'network', error.message));
        if (response.getStatus() === 401) credentials.onUnauthorized();
        void problemOf(response.getStatus(), response.getHeader('Content-Type') ?? null, response.getBody() ?? '').then(reject);
      },
    });
    const started = upload;
    void started.findPreviousUploads().then(
      (previous) => {
        const last = previous[0];
        if (last !== undefined) started.resumeFromPreviousUpload(last);
        started.start();
      },
      () => started.start(),
    );
  });
  return {
    done,
    pause: () => void upload?.abort(false),
    resume: () => upload?.start(),
    cancel: () => {
      cancelled = true;
      void upload?.abort(true).catch(() => undefined);
      // abort() calls no callback: the outcome is said here.
      rejectDone(new ApiError(0, 'aborted', 'cancelled'));
    },
  };
}
