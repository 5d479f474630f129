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

/** A tus upload in flight (`/api/v1/uploads`, docs/api.md): its outcome (the new document's id), pause, resume and cancel. */
export interface ResumableUpload {
  done: Promise<string>;
  pause(): void;
  resume(): void;
  /** Stops and deletes the unfinished upload on the server. */
  cancel(): void;
}

export interface ResumableFields extends DocumentDates {
  buildingId: string;
  type: string;
  title: string;
  sha256: string;
}

/**
 * Sends a file as a new document through tus: `chunkSize` bytes per request, resumed by itself when
 * the connection comes back, and after a page reload when the same file goes to the same building
 * (its URL is kept in localStorage under a fingerprint of the building, size and SHA-256; removed on
 * success). The API's refusals become `ApiError`s, as a multipart upload's.
 */
export function uploadResumable(
  credentials: { authorization: string; onUnauthorized: () => void },
  file: File,
  fields: ResumableFields,
  events: ResumableUploadEvents,
  chunkSize: number = CHUNK_BYTES,
): ResumableUpload {
  let upload: Upload | undefined;
  let cancelled = false;
  let rejectDone: (error: ApiError) => void = () => undefined;
  const done = new Promise<string>((resolve, reject) => {
    rejectDone = reject;
    const metadata: Record<string, string> = { building: fields.buildingId, type: fields.type, title: fields.title, filename: file.name, sha256: fields.sha256 };
    if (fields.documentDate !== undefined) metadata.documentDate = fields.documentDate;
    upload = new Upload(file, {
      endpoint: '/api/v1/uploads',
      headers: { authorization: credentials.authorization },
      metadata,
      chunkSize,
      retryDelays: RETRY_DELAYS,
      removeFingerprintOnSuccess: true,
      fingerprint: () => Promise.resolve(['docstore-tus', fields.buildingId, file.size, fields.sha256].join('-')),
      onProgress: events.onProgress,
      onShouldRetry: (error, _attempt, options) => {
        const status = error instanceof DetailedError ? (error.originalResponse?.getStatus() ?? 0) : 0;
        // A network failure (no answer) or a 5xx/409/423: tus-js-client's own rule, telling the page first.
        const retry = status === 0 || status >= 500 || status === 409 || status === 423;
        if (retry && options.retryDelays !== null) events.onRetry();
        return retry;
      },
      onSuccess: ({ lastResponse }) => {
        const id = lastResponse.getHeader('Docstore-Document-Id');
        if (id !== undefined && id !== '') resolve(id);
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
