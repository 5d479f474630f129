import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { LocalUrlSigner } from '../storage/local-url-signer.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { isStorageError } from '../storage/storage-errors.js';

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
 * Serves a local presigned link: `GET <token>` streams the object, `PUT <token>` stores the request
 * body. Plain Node.js `http` so that any server (Fastify through `reply.hijack()`, tests) can mount it.
 * Failures answer with RFC 9457 problem+json and a 403 for a bad or expired link, like S3.
 */
export async function serveSignedLink(deps: SignedLinkDependencies, token: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    if (request.method === 'GET' || request.method === 'HEAD') {
      const claims = deps.signer.verify(token, 'GET');
      const { body, info } = await deps.storage.get(claims.key);
      response.writeHead(200, {
        'content-type': claims.contentType ?? info.contentType,
        'content-length': String(info.size),
        etag: `"${info.etag}"`,
        'last-modified': info.lastModified.toUTCString(),
        'cache-control': 'private, no-store',
        ...(claims.contentDisposition ?? info.contentDisposition
          ? { 'content-disposition': (claims.contentDisposition ?? info.contentDisposition) as string }
          : {}),
      });
      if (request.method === 'HEAD') {
        body.destroy();
        response.end();
        return;
      }
      await pipeline(body, response);
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
