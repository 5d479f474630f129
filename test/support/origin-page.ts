import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

/** tus-js-client's browser bundle (UMD: `window.tus`), as another web application would load it. */
const TUS_BUNDLE = createRequire(import.meta.url).resolve('tus-js-client/dist/tus.min.js');

/**
 * A web page of another application, served from its own origin (`http://127.0.0.1:<free port>`):
 * `/` is an empty page that loads `tus-js-client` (`window.tus`), `/files/<name>` serves the bytes
 * the test handed it (for the page to fetch and upload). No CSP, no CORS header of its own.
 */
export interface OriginPage {
  /** `http://127.0.0.1:<port>`, what a browser sends as `Origin`. */
  origin: string;
  close(): Promise<void>;
}

export async function startOriginPage(files: Readonly<Record<string, Buffer>>): Promise<OriginPage> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname;
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another application</title><script src="/tus.min.js"></script></head><body><main>another application</main></body></html>');
    } else if (path === '/tus.min.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      createReadStream(TUS_BUNDLE).pipe(response);
    } else if (path.startsWith('/files/') && files[decodeURIComponent(path.slice('/files/'.length))] !== undefined) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(files[decodeURIComponent(path.slice('/files/'.length))]);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
