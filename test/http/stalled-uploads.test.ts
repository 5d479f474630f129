import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { METRICS } from '../../src/metrics/metric-names.js';
import { openRawConnection, openRawRequest, type RawAnswer, type RawRequest } from '../support/raw-http.js';
import { clientFor } from '../support/s3-target.js';
import { randomPrefix } from '../support/streams.js';
import { ORG_A, SERVICE_PAIRS, localSqliteService, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

/** The idle timeout of these tests (UPLOAD_IDLE_TIMEOUT_SECONDS); the default is 60. */
const IDLE_SECONDS = 2;
const PER_SUBJECT = 2;
const PER_INSTANCE = 3;

/** Rejects when `promise` has not settled within `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Objects stored under a building, and rows of it. */
async function storedIn(fixture: ServiceFixture, building: string): Promise<{ objects: string[]; rows: number }> {
  const objects: string[] = [];
  for await (const entry of fixture.service.storage.list({ prefix: `${ORG_A}/${building}/` })) if (entry.kind === 'object') objects.push(entry.key);
  const rows = await fixture.service.db.selectFrom('documents').select('id').where('building_id', '=', building).execute();
  return { objects, rows: rows.length };
}

/** Temporary files of the local backend (objects being written). */
async function temporaryFiles(fixture: ServiceFixture): Promise<string[]> {
  if (fixture.config.storage.backend !== 'local') throw new Error('local backend only');
  return readdir(join(fixture.config.storage.path, '\\tmp'));
}

/** `docstore_uploads_aborted_total{reason}` (0 while it does not exist). */
function abortedUploads(fixture: ServiceFixture, reason: 'idle' | 'disconnect'): Promise<number> {
  return counted(fixture, METRICS.uploadsAborted, reason);
}

/** Every upload refusal, whatever its reason. */
async function rejectedUploads(fixture: ServiceFixture): Promise<number> {
  const { values } = await fixture.service.metrics.uploadsRejected.get();
  return values.reduce((sum, value) => sum + value.value, 0);
}

async function counted(fixture: ServiceFixture, name: string, reason: string): Promise<number> {
  const counter = fixture.service.metrics.registry.getSingleMetric(name);
  const values = counter === undefined ? [] : (await counter.get()).values;
  return values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

/**
 * An upload on its own connection, its body to be sent by the caller. It asks the server to close the
 * connection after answering, unless `keepAlive`.
 */
async function rawUpload(
  fixture: ServiceFixture,
  subject: string,
  upload: { payload: Buffer; headers: Record<string, string> },
  options: { building?: string; keepAlive?: boolean } = {},
): Promise<RawRequest> {
  const token = await fixture.token('syndic', { sub: subject });
  return openRawRequest(fixture.baseUrl as string, 'POST', `/api/v1/buildings/${options.building ?? (await registerBuilding(fixture))}/documents`, {
    authorization: `Bearer ${token}`,
    ...upload.headers,
    'content-length': String(upload.payload.length),
    ...(options.keepAlive === true ? {} : { connection: 'close' }),
  });
}

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`uploads in flight on ${pairName}: stalled ones aborted, slots bounded`, () => {
    let fixture: ServiceFixture;
    let s3: S3Client | undefined;

    beforeAll(async () => {
      fixture = await factory({
        listen: true,
        env: {
          UPLOAD_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS),
          MAX_UPLOADS_IN_FLIGHT: String(PER_INSTANCE),
          MAX_UPLOADS_IN_FLIGHT_PER_SUBJECT: String(PER_SUBJECT),
          // The test bucket may be shared with other test files: only this prefix's multipart uploads are ours.
          S3_KEY_PREFIX: `${randomPrefix()}/`,
        },
      });
      if (fixture.config.storage.backend === 's3') s3 = clientFor(inject('s3'));
    });
    afterAll(async () => {
      s3?.destroy();
      await fixture?.close();
    });

    /** What an upload in progress holds in the storage: temporary files (local), multipart uploads read from RGW with the SDK (S3). */
    async function uploadsInStorage(): Promise<string[]> {
      const storage = fixture.config.storage;
      if (storage.backend === 'local') return temporaryFiles(fixture);
      const listed = await (s3 as S3Client).send(new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: storage.keyPrefix }));
      return (listed.Uploads ?? []).map((upload) => `${upload.Key ?? ''} ${upload.UploadId ?? ''}`);
    }

    it('aborts an upload that goes silent for the idle time, and leaves nothing on disk nor in the bucket', async () => {
      const building = await registerBuilding(fixture);
      // Over one 5 MiB part, so that the S3 adapter has a multipart upload open when the client goes silent.
      const upload = documentUpload({ content: pdfOfSize(8 * 1024 * 1024) });
      const idleBefore = await abortedUploads(fixture, 'idle');
      const rejectedBefore = await rejectedUploads(fixture);
      const request = await rawUpload(fixture, 'stalling-phone', upload, { building });
      await request.send(upload.payload.subarray(0, 6 * 1024 * 1024));
      await vi.waitFor(async () => expect(await uploadsInStorage()).not.toEqual([]), { timeout: 10_000, interval: 50 });

      const answer = await within(IDLE_SECONDS * 1000 + 10_000, 'end of the stalled upload', request.closed);
      expect(answer.closedByServer).toBe(true);
      await vi.waitFor(async () => expect(await uploadsInStorage()).toEqual([]), { timeout: 10_000, interval: 100 });
      expect(await storedIn(fixture, building)).toEqual({ objects: [], rows: 0 });
      expect(await abortedUploads(fixture, 'idle')).toBe(idleBefore + 1);
      // Counted as aborted, not as refused.
      expect(await rejectedUploads(fixture)).toBe(rejectedBefore);
    });

    it('lets a slow but steady upload through: a piece every 300 ms, for longer than the idle time', async () => {
      const upload = documentUpload({ content: pdfOfSize(40_000) });
      const request = await rawUpload(fixture, 'slow-link', upload);
      const pieces = Math.ceil((IDLE_SECONDS * 1000 * 1.5) / 300);
      const pieceBytes = Math.ceil(upload.payload.length / pieces);
      for (let start = 0; start < upload.payload.length; start += pieceBytes) {
        if (start > 0) await sleep(300);
        await request.send(upload.payload.subarray(start, start + pieceBytes));
      }
      const answer = await within(10_000, 'answer to the slow upload', request.closed);
      expect(answer.status, answer.body.toString()).toBe(201);
    });

    it('answers 429 with Retry-After beyond the uploads in flight of a subject, then of the instance, and frees every slot whatever the outcome', async () => {
      const disconnectsBefore = await abortedUploads(fixture, 'disconnect');
      const idleBefore = await abortedUploads(fixture, 'idle');
      const a1 = await holdingUpload('subject-a');
      const a2 = await holdingUpload('subject-a');
      await vi.waitFor(() => expect(fixture.service.uploads.uploadsInFlight).toBe(2), { timeout: 10_000, interval: 50 });

      // Refused before its body is read: the client sends only its start and gets the answer, then the close.
      const large = documentUpload({ content: pdfOfSize(2 * 1024 * 1024) });
      const refused = await rawUpload(fixture, 'subject-a', large, { keepAlive: true });
      await refused.send(large.payload.subarray(0, 100_000));
      const bySubject = await within(10_000, 'answer to the upload over the subject limit', refused.closed);
      expect(bySubject).toMatchObject({ status: 429, closedByServer: true, headers: { 'retry-after': '10', connection: 'close' } });
      expect(JSON.parse(bySubject.body.toString())).toMatchObject({ status: 429, code: 'upload.too_many_in_flight', type: 'urn:docstore:upload.too_many_in_flight' });

      const b1 = await holdingUpload('subject-b');
      await vi.waitFor(() => expect(fixture.service.uploads.uploadsInFlight).toBe(PER_INSTANCE), { timeout: 10_000, interval: 50 });
      const byInstance = await upload('subject-c');
      expect(byInstance.status).toBe(429);
      expect(byInstance.headers.get('retry-after')).toBe('10');
      expect(await byInstance.json()).toMatchObject({ code: 'upload.too_many_in_flight' });

      // One succeeds, one is abandoned by its client, one goes silent until the idle timeout.
      expect((await a1.finish()).status).toBe(201);
      a2.stop();
      a2.request.socket.destroy();
      b1.stop();
      await within(IDLE_SECONDS * 1000 + 10_000, 'end of the silent upload', b1.request.closed);
      await vi.waitFor(() => expect(fixture.service.uploads.uploadsInFlight).toBe(0), { timeout: 10_000, interval: 50 });
      expect(await abortedUploads(fixture, 'disconnect')).toBe(disconnectsBefore + 1);
      expect(await abortedUploads(fixture, 'idle')).toBe(idleBefore + 1);

      // Every slot is free again: a full set of uploads at once goes through.
      const statuses = await Promise.all(['subject-a', 'subject-a', 'subject-c'].map(async (subject) => (await upload(subject)).status));
      expect(statuses).toEqual([201, 201, 201]);
    });

    /** A small upload sent at once. */
    async function upload(subject: string): Promise<Response> {
      const { payload, headers } = documentUpload();
      const token = await fixture.token('syndic', { sub: subject });
      return fetch(`${fixture.baseUrl}/api/v1/buildings/${await registerBuilding(fixture)}/documents`, { method: 'POST', body: payload, headers: { ...headers, authorization: `Bearer ${token}` } });
    }

    /** An upload that keeps its slot: it sends a little every 250 ms (never silent) until stopped or finished. */
    async function holdingUpload(subject: string): Promise<{ request: RawRequest; stop(): void; finish(): Promise<RawAnswer> }> {
      const upload = documentUpload({ content: pdfOfSize(300_000) });
      const request = await rawUpload(fixture, subject, upload);
      let sent = 100_000;
      await request.send(upload.payload.subarray(0, sent));
      const trickle = setInterval(() => {
        const next = Math.min(upload.payload.length - 1, sent + 1000);
        void request.send(upload.payload.subarray(sent, next));
        sent = next;
      }, 250);
      return {
        request,
        stop: () => clearInterval(trickle),
        finish: async () => {
          clearInterval(trickle);
          await request.send(upload.payload.subarray(sent));
          return within(10_000, 'answer to the finished upload', request.closed);
        },
      };
    }
  });
}

describe('request timeouts (local + SQLite): headers and whole requests are bounded, responses are not', () => {
  const REQUEST_SECONDS = 3;
  let fixture: ServiceFixture;

  beforeAll(async () => {
    fixture = await localSqliteService({ listen: true, env: { HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: String(REQUEST_SECONDS) } });
  });
  afterAll(async () => fixture?.close());

  it('answers 408 and closes a connection whose headers do not arrive within HEADERS_TIMEOUT_SECONDS', async () => {
    const connection = openRawConnection(fixture.baseUrl as string);
    await connection.send(`GET /health/live HTTP/1.1\r\nHost: ${new URL(fixture.baseUrl as string).host}\r\nX-Slow:`);
    const answer = await within(10_000, 'answer to the slow headers', connection.closed);
    expect(answer).toMatchObject({ status: 408, closedByServer: true });
  });

  it('cuts an upload that never finishes within REQUEST_TIMEOUT_SECONDS although it never goes silent, and keeps nothing', async () => {
    const building = await registerBuilding(fixture);
    const upload = documentUpload({ content: pdfOfSize(2 * 1024 * 1024) });
    const request = await rawUpload(fixture, 'endless', upload, { building });
    let sent = 200_000;
    await request.send(upload.payload.subarray(0, sent));
    const trickle = setInterval(() => {
      void request.send(upload.payload.subarray(sent, sent + 2000));
      sent += 2000;
    }, 250);
    try {
      const answer = await within(REQUEST_SECONDS * 1000 + 10_000, 'end of the endless upload', request.closed);
      expect(answer.closedByServer).toBe(true);
      expect([0, 408]).toContain(answer.status);
    } finally {
      clearInterval(trickle);
    }
    await vi.waitFor(async () => expect(await temporaryFiles(fixture)).toEqual([]), { timeout: 10_000, interval: 100 });
    expect(await storedIn(fixture, building)).toEqual({ objects: [], rows: 0 });
  });

  it('serves a download that takes longer than REQUEST_TIMEOUT_SECONDS to a slow reader, whole', async () => {
    const content = pdfOfSize(3 * 1024 * 1024);
    const token = await fixture.token('syndic');
    const { payload, headers } = documentUpload({ content });
    const created = await fetch(`${fixture.baseUrl}/api/v1/buildings/${await registerBuilding(fixture)}/documents`, { method: 'POST', body: payload, headers: { ...headers, authorization: `Bearer ${token}` } });
    expect(created.status).toBe(201);
    const document = (await created.json()) as Document;

    const started = Date.now();
    const download = openRawRequest(fixture.baseUrl as string, 'GET', `/api/v1/documents/${document.id}/content`, { authorization: `Bearer ${token}`, connection: 'close' });
    // Read at about 768 KiB/s: 3 MiB take about 4 s.
    download.socket.on('data', (chunk: Buffer) => {
      download.socket.pause();
      setTimeout(() => download.socket.resume(), (chunk.length / (768 * 1024)) * 1000);
    });
    const answer = await within(60_000, 'end of the download', download.closed);
    expect(Date.now() - started).toBeGreaterThan(REQUEST_SECONDS * 1000);
    expect(answer.status).toBe(200);
    expect(answer.body.equals(content)).toBe(true);
  });
});
