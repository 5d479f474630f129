import '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DocumentError } from '../../documents/document-errors.js';
import type { UploadPart } from '../../documents/document-service.js';
import type { IdempotencyStore } from '../../idempotency/idempotency-store.js';
import type { Principal } from '../../shared/principal.js';
import { decodeFormDataFileName } from '../form-data-file-name.js';
import { runIdempotently, type BeforeCommit } from '../idempotency-key.js';
import { problemSchema } from '../schemas.js';
import type { UploadLimiter } from '../limits/upload-limiter.js';

/** The `Idempotency-Key` header of an upload route, for its schema. */
export const idempotencyKeyHeaders = z
  .object({ 'idempotency-key': z.string().optional().describe('Makes a retry safe: the same key within 24 h returns the first answer (see docs/api.md)') })
  .passthrough();

/** What an upload route may refuse with, beside `errorResponses`. */
export const uploadRefusals = { 409: problemSchema, 413: problemSchema, 415: problemSchema, 422: problemSchema, 429: problemSchema };

export interface UploadAnswer<T> {
  /** `multipart/form-data` expected of the body: `upload.not_multipart` names what to send. */
  what: string;
  /** The recorded outcome of the first request with the same key, as it is sent again. */
  replay: (body: unknown) => Promise<T>;
  location: (result: T) => string;
  /** Told of a new outcome before it is sent (metrics). */
  stored?: (result: T) => void;
}

/**
 * The frame every upload route shares: a multipart body only (`upload.not_multipart`), one upload
 * slot held until the answer is decided, the `Idempotency-Key` (a retry answers the first outcome
 * with `Idempotent-Replayed: true` and closes the connection without reading its body), and 201
 * with a `Location` for a new outcome. `store` runs the upload, recording the key's outcome in its
 * own transaction through `beforeCommit`.
 */
export async function answerUpload<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { uploads: UploadLimiter; idempotency: IdempotencyStore },
  principal: Principal,
  store: (beforeCommit?: BeforeCommit<T>) => Promise<T>,
  answer: UploadAnswer<T>,
): Promise<FastifyReply> {
  if (!request.isMultipart()) throw new DocumentError('upload.not_multipart', `Send the ${answer.what} as multipart/form-data`);
  const slot = options.uploads.admit(request.raw, principal.userId);
  try {
    const outcome = await runIdempotently<T>(options.idempotency, request, principal, 201, store);
    if (outcome.replayed) {
      const replayed = await answer.replay(outcome.body);
      return reply.code(outcome.status).header('idempotent-replayed', 'true').header('connection', 'close').header('location', answer.location(replayed)).send(replayed);
    }
    answer.stored?.(outcome.result);
    return reply.code(201).header('location', answer.location(outcome.result)).send(outcome.result);
  } finally {
    slot.release();
  }
}

/** The request's multipart parts as the documents service takes them. */
export async function* uploadParts(request: FastifyRequest): AsyncIterable<UploadPart> {
  for await (const part of request.parts()) {
    if (part.type === 'file') yield { kind: 'file', fieldName: part.fieldname, fileName: decodeFormDataFileName(part.filename), stream: part.file };
    else yield { kind: 'field', name: part.fieldname, value: String(part.value) };
  }
}
