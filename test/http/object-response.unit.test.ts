import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { writeObjectResponse } from '../../src/http/content/object-response.js';
import type { GetResult, ObjectStorage } from '../../src/storage/object-storage.js';
import { openRawRequest } from '../support/raw-http.js';

describe('writeObjectResponse', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it('cuts the response when the body closes before its end without an error, and fails', async () => {
    const size = 1000;
    const body = new Readable({
      read() {
        this.push(Buffer.alloc(400, 1));
        this.destroy();
      },
    });
    // Only `get` is called: the port's other operations are not reached by this answer.
    const storage = {
      get: async (): Promise<GetResult> => ({ body, info: { key: 'k', size, lastModified: new Date(0), etag: 'e', contentType: 'application/pdf', metadata: {} } }),
    } as unknown as ObjectStorage;
    const outcome = new Promise<unknown>((resolve) => {
      server = createServer((request, response) => {
        writeObjectResponse(request, response, { storage, key: 'k' }).then(
          () => resolve('resolved'),
          (error: unknown) => {
            response.destroy();
            resolve(error);
          },
        );
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server?.address() as AddressInfo;
    const answer = await openRawRequest(`http://127.0.0.1:${port}`, 'GET', '/', { connection: 'close' }).closed;
    expect(await outcome).toBeInstanceOf(Error);
    expect(answer.body.length).toBeLessThan(size);
  });
});
