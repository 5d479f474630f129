import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalUrlSigner } from '../storage/local-url-signer.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { isStorageError } from '../storage/storage-errors.js';
import { writeObjectResponse } from './object-response.js';

export interface SignedLinkDependencies {
  signer: LocalUrlSigner;
  /** The storage to read and write, with its decorators (so that encrypted objects are decrypted). */
  storage: ObjectStorage;
}

const STATUS_BY_CODE: Record<string, number> = {
  'storage.presign_invalid': 403,
  'storage.presign_expired': 403,
  'storage.not_found': 404,
  'storage.invalid_argument': 400,
  'storage.invalid_key': 400,
};

/**
 * Serves a local presigned link: `GET <token>` streams the object with the same headers as the
 * API's `/content` (ranges, ETag, nosniff), `PUT <token>` stores the request body. Plain Node.js `http` so that any server (Fastify through `reply.hijack()`, tests) can mount it.
 * Failures answer with RFC 9457 problem+json and a 403 for a bad or expired link, like S3.
 */
export async function serveSignedLink(deps: SignedLinkDependencies, token: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    if (request.method === 'GET' || request.method === 'HEAD') {
      const claims = deps.signer.verify(token, 'GET');
      const info = await deps.storage.stat(claims.key);
      await writeObjectResponse(request, response, {
        storage: deps.storage,
        key: claims.key,
        contentType: claims.contentType ?? info.contentType,
        ...(claims.contentDisposition ?? info.contentDisposition
          ? { contentDisposition: (claims.contentDisposition ?? info.contentDisposition) as string }
          : {}),
        ...(info.sha256 === undefined ? {} : { sha256: info.sha256 }),
        lastModified: info.lastModified,
      });
      return;
    }
    if (request.method === 'PUT') {
      const claims = deps.signer.verify(token, 'PUT');
      const contentType = request.headers['content-type'];
      if (claims.contentType !== undefined && contentType !== claims.contentType) {
        sendProblem(response, 403, 'storage.presign_invalid', `This link requires Content-Type ${claims.contentType}`);
        request.resume();
        return;
      }
      const result = await deps.storage.put(claims.key, request, contentType === undefined ? {} : { contentType });
      response.writeHead(200, { etag: `"${result.etag}"`, 'content-length': '0' });
      response.end();
      return;
    }
    response.writeHead(405, { allow: 'GET, HEAD, PUT' });
    response.end();
  } catch (error) {
    if (response.headersSent) {
      response.destroy(error instanceof Error ? error : undefined);
      return;
    }
    if (isStorageError(error)) {
      sendProblem(response, STATUS_BY_CODE[error.code] ?? 503, error.code, error.message);
    } else {
      sendProblem(response, 500, 'internal', 'Internal error');
    }
    request.resume();
  }
}

function sendProblem(response: ServerResponse, status: number, code: string, detail: string): void {
  const body = JSON.stringify({ type: `urn:docstore:${code}`, title: code, status, detail, code });
  response.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}
