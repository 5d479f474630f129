import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../shared/principal.js';
import { receiveCheckedChunk, parseUploadChecksum, type CheckedChunk } from '../../uploads/checked-chunk.js';
import { answerOf, type ResumableUploads } from '../../uploads/resumable-uploads.js';

export interface ResumableUploadRoutesOptions {
  uploads: ResumableUploads;
  authenticate: (request: FastifyRequest) => Promise<Principal>;
}

/**
 * The tus 1.0 endpoint, `/uploads` and `/uploads/{id}` (registered under `/api/v1`): every request
 * but `OPTIONS` is authenticated and admitted here (creation: the caller's rights and the declared
 * length; later requests: the upload's creator only), then handed to `@tus/server` with its body
 * unread (a `PATCH`, or a creation carrying data, with `Upload-Checksum`: its chunk once it matched,
 * see `receiveCheckedChunk`).
 * `GET /uploads/{id}` answers the upload's state as JSON (tus's own GET would serve the
 * unchecked bytes). Errors answer problem+json with a stable `upload.*` code.
 */
export async function resumableUploadRoutes(app: FastifyInstance, options: ResumableUploadRoutesOptions): Promise<void> {
  const { uploads, authenticate } = options;
  // tus bodies (application/offset+octet-stream) are streamed to the store by @tus/server.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  const handler = (request: FastifyRequest<{ Params: { id?: string } }>, reply: FastifyReply) => uploads.withinRequest(() => answer(request, reply));
  const answer = async (request: FastifyRequest<{ Params: { id?: string } }>, reply: FastifyReply) => {
    const id = request.params.id;
    const header = (name: string) => (typeof request.headers[name] === 'string' ? (request.headers[name] as string) : undefined);
    let principal: Principal | undefined;
    let chunk: CheckedChunk | undefined;
    if (request.method !== 'OPTIONS') {
      principal = await authenticate(request);
      if (id === undefined) {
        if (request.method === 'POST') {
          const uploadLength = header('upload-length');
          await uploads.admitCreation(principal, { uploadLength, uploadMetadata: header('upload-metadata') });
          // Creation with upload: its data is checked as a PATCH's is, before the upload exists.
          const checksum = header('upload-checksum');
          if (checksum !== undefined && carriesData(request)) chunk = await receiveCheckedChunk(request.raw, parseUploadChecksum(checksum), Number(uploadLength));
        }
      } else if (request.method === 'PATCH' && header('upload-checksum') === undefined) {
        await uploads.admitWrite(principal, id, header('upload-offset'));
      } else {
        const state = await uploads.admitAccess(principal, id);
        if (request.method === 'GET') return reply.code(200).header('cache-control', 'no-store').send(state);
        // A completed upload (its parts gone): HEAD tells its creator the document it became.
        if (state.documentId !== undefined && request.method === 'HEAD') {
          return reply.code(200).headers({ 'tus-resumable': '1.0.0', 'cache-control': 'no-store', 'upload-offset': String(state.offset), 'upload-length': String(state.length), ...answerOf({ documentId: state.documentId, version: state.documentVersion ?? 1 }) }).send();
        }
        // The checksum extension: the chunk reaches the upload only once it matched.
        const checksum = header('upload-checksum');
        if (request.method === 'PATCH' && checksum !== undefined && state.documentId === undefined) {
          chunk = await receiveCheckedChunk(request.raw, parseUploadChecksum(checksum), (state.length ?? 0) - state.offset);
        }
      }
    }
    try {
      const { web, body } = toWebRequest(request, chunk, uploads);
      const response = await uploads.handle(web, principal, body);
      reply.hijack();
      // Headers set by hooks (CORS) first, tus's own after them.
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) if (typeof value === 'string') headers[name] = value;
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      if (request.method === 'OPTIONS' && headers['tus-extension'] !== undefined) {
        headers['tus-extension'] = `${headers['tus-extension']},checksum`;
        headers['tus-checksum-algorithm'] = 'sha256';
      }
      if (response.status >= 400 && response.body !== null) headers['content-type'] = 'application/problem+json';
      headers['x-request-id'] = request.id;
      reply.raw.writeHead(response.status, headers);
      if (response.body === null) reply.raw.end();
      else await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), reply.raw);
    } finally {
      await chunk?.discard();
    }
  };
  const methods = ['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS', 'GET'] as const;
  app.route({ method: [...methods], url: '/uploads', schema: { hide: true }, handler });
  app.route({ method: [...methods], url: '/uploads/:id', schema: { hide: true }, handler });
}

/** A creation that carries the upload's first bytes (tus creation-with-upload). */
function carriesData(request: FastifyRequest): boolean {
  return request.headers['content-type'] === 'application/offset+octet-stream';
}

/**
 * The Fastify request as a web Request, its body the unread socket stream (or the checked chunk),
 * and that stream; a body the store reads itself (`handsBodyToStore`) stays out of the web Request.
 */
function toWebRequest(request: FastifyRequest, chunk: CheckedChunk | undefined, uploads: ResumableUploads): { web: Request; body?: Readable } {
  const url = `http://${request.host}${request.url}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const one of value) headers.append(name, one);
  }
  const hasBody = request.method === 'POST' || request.method === 'PATCH';
  if (chunk !== undefined) headers.set('content-length', String(chunk.size));
  if (!hasBody) return { web: new Request(url, { method: request.method, headers }) };
  const body = chunk === undefined ? request.raw : chunk.open();
  // The store reads the Node stream itself: no web stream in between.
  if (uploads.handsBodyToStore(request.method, headers.get('content-length') ?? undefined)) return { web: new Request(url, { method: request.method, headers }), body };
  return { web: new Request(url, { method: request.method, headers, body: Readable.toWeb(body) as ReadableStream, duplex: 'half' } as RequestInit), body };
}
