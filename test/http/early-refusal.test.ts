import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SIGNED_LINK_PATH } from '../../src/storage/create-object-storage.js';
import { ORG_B, localSqliteService, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { documentUpload, multipartBody, pdfOfSize } from '../support/upload-request.js';

const MAX_UPLOAD_BYTES = 1024 * 1024;
/** What every request below declares: far more than it sends. */
const DECLARED_BYTES = 64 * 1024 * 1024;

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection (FIN or reset) before the client gave up. */
  closedByServer: boolean;
}

/**
 * Sends a request's head and the first `sent` bytes of a body declared as `DECLARED_BYTES`, then
 * sends nothing more and waits up to `waitMs` for the server to answer and close the connection.
 */
function partialUpload(baseUrl: string, request: { method: string; path: string; headers: Record<string, string>; sent: Buffer }, waitMs = 5_000): Promise<RawAnswer> {
  const { method, path, headers, sent } = request;
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const received: Buffer[] = [];
    let closedByServer = false;
    const giveUp = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('end', () => (closedByServer = true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') closedByServer = true;
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(giveUp);
      const text = Buffer.concat(received).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const answer: RawAnswer = { status: Number(statusLine.split(' ')[1] ?? 0), headers: {}, body, closedByServer };
      for (const line of lines) {
        const colon = line.indexOf(':');
        answer.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      if (answer.headers['transfer-encoding'] === 'chunked') answer.body = unchunked(body);
      resolve(answer);
    });
    const head = Object.entries({ host: `${hostname}:${port}`, ...headers, 'content-length': String(DECLARED_BYTES) })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n`);
    // Not awaited: the server may stop reading, and the client never sends the rest anyway.
    socket.write(sent);
  });
}

/** A chunked body's data (sizes in hex, each chunk followed by CRLF, a zero-size chunk last). */
function unchunked(body: string): string {
  let data = '';
  for (let rest = body; ; ) {
    const lineEnd = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return data;
    data += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/** The start of a multipart upload whose file part begins with `fileStart` (its end never comes). */
function uploadStart(fileStart: Buffer, options: { fileName?: string; type?: string; path?: string; headers?: Record<string, string> } = {}) {
  const { payload, headers } = documentUpload({ fileName: options.fileName ?? 'scan.pdf', content: fileStart, ...(options.type === undefined ? {} : { type: options.type }) });
  // Without its closing boundary: the body is cut in the middle of the file.
  return { path: options.path ?? '', headers: { ...headers, ...options.headers }, sent: payload.subarray(0, payload.length - 64) };
}

describe('an upload refused before its body has arrived', { timeout: 60_000 }, () => {
  let fixture: ServiceFixture;
  let baseUrl: string;
  let otherOrganisationBuilding: string;

  beforeAll(async () => {
    fixture = await localSqliteService({ listen: true, env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } });
    baseUrl = fixture.baseUrl as string;
    otherOrganisationBuilding = await registerBuilding(fixture, { org: ORG_B });
    const { payload, headers } = documentUpload();
    const created = await fixture.service.app.inject({
      method: 'POST',
      url: `/api/v1/buildings/${otherOrganisationBuilding}/documents`,
      payload,
      headers: { ...headers, authorization: `Bearer ${await fixture.token('syndic', { org: ORG_B })}` },
    });
    expect(created.statusCode, created.body).toBe(201);
  });
  afterAll(async () => fixture?.close());

  const cases: Array<{ name: string; method?: string; status: number; code: string; request: () => Promise<{ path: string; headers: Record<string, string>; sent: Buffer }> }> = [
    {
      name: 'over the size limit',
      status: 413,
      code: 'upload.too_large',
      request: async () => uploadStart(pdfOfSize(2 * MAX_UPLOAD_BYTES)),
    },
    {
      name: 'content of a type not allowed',
      status: 415,
      code: 'upload.unsupported_content',
      request: async () => uploadStart(Buffer.concat([Buffer.from('MZ'), randomBytes(256 * 1024)]), { fileName: 'outil.exe' }),
    },
    {
      name: 'without a token',
      status: 401,
      code: 'auth.missing_token',
      request: async () => uploadStart(pdfOfSize(256 * 1024), { headers: { authorization: '' } }),
    },
    {
      name: 'of a type the role may not upload',
      status: 403,
      code: 'auth.forbidden',
      request: async () => uploadStart(pdfOfSize(256 * 1024), { type: 'contract', headers: { authorization: `Bearer ${await fixture.token('accountant')}` } }),
    },
    {
      name: 'to a building of another organisation',
      status: 404,
      code: 'documents.not_found',
      request: async () => uploadStart(pdfOfSize(256 * 1024), { path: `/api/v1/buildings/${otherOrganisationBuilding}/documents` }),
    },
    {
      name: 'to a route that does not exist',
      status: 404,
      code: 'request.not_found',
      request: async () => uploadStart(pdfOfSize(256 * 1024), { path: '/api/v1/nowhere' }),
    },
    {
      name: 'that is not multipart',
      status: 415,
      code: 'request.unsupported_media_type',
      request: async () => ({ path: '', headers: { 'content-type': 'application/octet-stream' }, sent: pdfOfSize(256 * 1024) }),
    },
    {
      name: 'through a signed link that is not valid',
      method: 'PUT',
      status: 403,
      code: 'storage.presign_invalid',
      request: async () => ({ path: `${LOCAL_SIGNED_LINK_PATH}/not-a-signed-token`, headers: { 'content-type': 'application/pdf' }, sent: pdfOfSize(256 * 1024) }),
    },
  ];

  for (const refusal of cases) {
    it(`${refusal.name}: ${refusal.status} ${refusal.code} with Connection: close, the server closes the socket, nothing stored`, async () => {
      const building = await registerBuilding(fixture);
      const syndic = await fixture.token('syndic');
      const { path, headers, sent } = await refusal.request();
      const sentHeaders = Object.fromEntries(Object.entries({ authorization: `Bearer ${syndic}`, ...headers }).filter(([, value]) => value !== ''));
      const answer = await partialUpload(baseUrl, { method: refusal.method ?? 'POST', path: path || `/api/v1/buildings/${building}/documents`, headers: sentHeaders, sent });
      expect(answer.status, answer.body).toBe(refusal.status);
      expect(answer.headers['connection']).toBe('close');
      expect(JSON.parse(answer.body)).toMatchObject({ status: refusal.status, code: refusal.code });
      expect(answer.closedByServer).toBe(true);
      const listed = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${building}/documents`, headers: { authorization: `Bearer ${syndic}` } });
      expect(listed.statusCode === 404 || listed.json().items.length === 0, listed.body).toBe(true);
    });
  }

  it('one upload too many in flight: 429 upload.too_many_in_flight with Connection: close, the server closes the socket', async () => {
    const limited = await localSqliteService({ listen: true, env: { MAX_UPLOADS_IN_FLIGHT_PER_SUBJECT: '1' } });
    const holder = connect({ host: '127.0.0.1', port: Number(new URL(limited.baseUrl as string).port) });
    try {
      const bearer = `Bearer ${await limited.token('syndic', { sub: 'busy-syndic' })}`;
      // Registered in the limited service itself: an upload into an unregistered building is 404.
      const route = `/api/v1/buildings/${await registerBuilding(limited)}/documents`;
      // The first upload stalls after its first bytes and keeps its slot.
      const held = uploadStart(pdfOfSize(64 * 1024));
      const head = Object.entries({ ...held.headers, authorization: bearer, 'content-length': String(DECLARED_BYTES) }).map(([name, value]) => `${name}: ${value}\r\n`);
      holder.on('error', () => {});
      holder.write(`POST ${route} HTTP/1.1\r\nhost: 127.0.0.1\r\n${head.join('')}\r\n`);
      holder.write(held.sent);
      // Complete small uploads tell when the slot is taken: 201 before, 429 after.
      await expect
        .poll(async () => {
          const { payload, headers } = documentUpload();
          const probe = await fetch(`${limited.baseUrl}${route}`, { method: 'POST', body: payload, headers: { ...headers, authorization: bearer } });
          await probe.arrayBuffer();
          return probe.status;
        }, { timeout: 10_000 })
        .toBe(429);
      const refused = uploadStart(pdfOfSize(256 * 1024));
      const answer = await partialUpload(limited.baseUrl as string, { method: 'POST', path: route, headers: { ...refused.headers, authorization: bearer }, sent: refused.sent });
      expect(answer.status, answer.body).toBe(429);
      expect(answer.headers['connection']).toBe('close');
      expect(answer.headers['retry-after']).toBeDefined();
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'upload.too_many_in_flight' });
      expect(answer.closedByServer).toBe(true);
    } finally {
      holder.destroy();
      await limited.close();
    }
  });

  it('a small request refused keeps its connection alive (its body is read and discarded)', async () => {
    const { payload, headers } = multipartBody([{ name: 'type', value: 'invoice' }]);
    const response = await fetch(`${baseUrl}/api/v1/buildings/${await registerBuilding(fixture)}/documents`, { method: 'POST', body: payload, headers });
    expect(response.status).toBe(401);
    expect(response.headers.get('connection')).toBe('keep-alive');
    await response.arrayBuffer();
  });
});
