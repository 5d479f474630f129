import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FloorStore } from './floor-store.js';

/**
 * The protocol floor of `bench:tus`: a plain `node:http` server (no docstore modules, no
 * authentication, no database) with two routes on a `FloorStore`:
 * - `POST /floor/documents`: the whole body stored in one request, answered 201;
 * - tus-like: `POST /floor/uploads` with `Upload-Length` creates an upload (201, `Location`), then
 *   `PATCH /floor/uploads/<id>` with `Upload-Offset` appends the body, answered 204 with the new
 *   `Upload-Offset` once the bytes are stored; the last one puts the upload in place.
 * No checks beyond the offset: the least either protocol costs on that storage.
 */
export async function listenFloor(store: FloorStore): Promise<{ base: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    route(store, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500).end(String(error));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('floor server has no port');
  return {
    base: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

async function route(store: FloorStore, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = request.url ?? '';
  if (request.method === 'POST' && url === '/floor/documents') {
    await store.put(request);
    response.writeHead(201).end();
  } else if (request.method === 'POST' && url === '/floor/uploads') {
    request.resume();
    const id = await store.create(Number(request.headers['upload-length']));
    response.writeHead(201, { location: `/floor/uploads/${id}` }).end();
  } else if (request.method === 'PATCH' && url.startsWith('/floor/uploads/')) {
    const offset = Number(request.headers['upload-offset']);
    const bytes = Number(request.headers['content-length']);
    const next = await store.append(url.slice('/floor/uploads/'.length), offset, bytes, request);
    response.writeHead(204, { 'upload-offset': String(next) }).end();
  } else {
    request.resume();
    response.writeHead(404).end();
  }
}
