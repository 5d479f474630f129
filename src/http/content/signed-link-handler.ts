import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ObjectLinkSigner } from '../../storage/object-link-signer.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import type { ContentIntegrity } from '../../documents/integrity/content-integrity.js';
import { PresignInvalid } from '../../storage/storage-errors.js';
import { toProblem } from '../problem-details.js';
import { writeObjectResponse, type ServedContent } from './object-response.js';
import type { ContentRead } from '../../documents/read-recorder.js';
import { answerClosesConnection } from '../limits/unread-body.js';

export interface SignedLinkDependencies {
  signer: ObjectLinkSigner;
  /** The storage to read and write, with its decorators (so that encrypted objects are decrypted). */
  storage: ObjectStorage;
  /** When given, a full read of a version's object is checked against its recorded SHA-256. */
  integrity?: ContentIntegrity;
  /**
   * Records a link's use before its first byte is sent (`ReadRecorder.linkUsed`, which finds the
   * document from the key); a failure to record answers an error and serves nothing.
   */
  recordUse?: (storageKey: string, read: ContentRead) => Promise<void>;
}


/**
 * Serves a link signed by `ObjectLinkSigner`: `GET <token>` streams the object with the same headers as the
 * API's `/content` (ranges, ETag, nosniff), `PUT <token>` stores the request body. Plain Node.js `http` so that any server (Fastify through `reply.hijack()`, tests) can mount it.
 * Failures answer with the API's RFC 9457 problem+json (a bad or expired link: 403, like S3).
 */
export async function serveSignedLink(deps: SignedLinkDependencies, token: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    if (request.method === 'GET' || request.method === 'HEAD') {
      const claims = deps.signer.verify(token, 'GET');
      const { recordUse } = deps;
      const check = request.method === 'GET' ? await deps.integrity?.checkOfKey(claims.key) : undefined;
      // Type and disposition signed into the link win; otherwise those stored with the object.
      await writeObjectResponse(request, response, {
        storage: deps.storage,
        key: claims.key,
        ...(claims.contentType === undefined ? {} : { contentType: claims.contentType }),
        ...(claims.contentDisposition === undefined ? {} : { contentDisposition: claims.contentDisposition }),
        ...(check === undefined ? {} : { check }),
        ...(recordUse === undefined
          ? {}
          : {
              beforeSend: (served: ServedContent) =>
                recordUse(claims.key, { disposition: claims.contentDisposition?.trim().toLowerCase().startsWith('inline') === true ? 'inline' : 'attachment', ...(served.range === undefined ? {} : { range: served.range }) }),
            }),
      });
      return;
    }
    if (request.method === 'PUT') {
      const claims = deps.signer.verify(token, 'PUT');
      const contentType = request.headers['content-type'];
      if (claims.contentType !== undefined && contentType !== claims.contentType) {
        throw PresignInvalid.because(`the link requires Content-Type ${claims.contentType}`);
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
    const problem = toProblem(error, '/api/v1/signed/[redacted]');
    // A PUT refused before its body has arrived closes the connection (see unread-body.ts).
    response.writeHead(problem.status, { 'content-type': 'application/problem+json', ...(answerClosesConnection(request) ? { connection: 'close' } : {}) });
    response.end(JSON.stringify(problem));
    request.resume();
  }
}
