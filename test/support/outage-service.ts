import { request as httpRequest, type IncomingMessage } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { mintToken } from '../../src/auth/jwt-verifier.js';
import { loadConfig } from '../../src/config.js';
import type { Document } from '../../src/shared/document.js';
import { createService, type Service } from '../../src/http/server.js';
import { registerBuildingAt } from './buildings.js';
import { freePort } from './free-port.js';
import { JWT_SECRET, ORG_A } from './service-fixture.js';
import { documentUpload } from './upload-request.js';

/** A listening docstore with short timeouts, for the tests that make its database or storage fail. */
export interface OutageService {
  service: Service;
  baseUrl: string;
  auth: Record<string, string>;
  /** GET /health/ready: status, body and how long it took. */
  ready(): Promise<{ status: number; body: Record<string, unknown>; ms: number }>;
  /** Registers a building (with the service still up): uploads go only into registered buildings. */
  registerBuilding(): Promise<string>;
  /** An upload through the real socket, with an optional Idempotency-Key; never waits more than 90 s. */
  upload(buildingId: string, key?: string, content?: Buffer): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; ms: number }>;
  /** Starts an upload whose body is sent in two steps: the first `firstBytes`, then the rest on `finish()`. */
  splitUpload(buildingId: string, key: string, content: Buffer, firstBytes: number): { finish(): Promise<{ status: number; body: string; ms: number }> };
  /** Keys of the objects stored under the building (through docstore's storage). */
  objectsOf(buildingId: string): Promise<string[]>;
  /** Waits until /health/ready answers 200 (after a resume or a restart). */
  waitReady(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startOutageService(env: Record<string, string>): Promise<OutageService> {
  const dataDir = await mkdtemp(join(tmpdir(), 'docstore-outage-'));
  const port = await freePort();
  const config = loadConfig({ DOCSTORE_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, ...env });
  const service = await createService(config, { logger: false });
  const baseUrl = await service.app.listen({ host: '127.0.0.1', port });
  const token = await mintToken(Buffer.from(JWT_SECRET), { sub: 'syndic-outage', org: ORG_A, role: 'syndic', buildings: [], ttlSeconds: 3600 });
  const auth = { authorization: `Bearer ${token}` };
  const outage: OutageService = {
    service,
    baseUrl,
    auth,
    async ready() {
      const started = Date.now();
      const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(60_000) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, ms: Date.now() - started };
    },
    registerBuilding: () => registerBuildingAt(baseUrl, token),
    async upload(buildingId, key, content) {
      const { payload, headers } = documentUpload(content === undefined ? {} : { content });
      const started = Date.now();
      const response = await fetch(`${baseUrl}/api/v1/buildings/${buildingId}/documents`, {
        method: 'POST',
        headers: { ...headers, ...auth, ...(key === undefined ? {} : { 'idempotency-key': key }) },
        body: payload,
        signal: AbortSignal.timeout(90_000),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers, ms: Date.now() - started };
    },
    splitUpload(buildingId, key, content, firstBytes) {
      const { payload, headers } = documentUpload({ content });
      const started = Date.now();
      const request = httpRequest(`${baseUrl}/api/v1/buildings/${buildingId}/documents`, {
        method: 'POST',
        headers: { ...headers, ...auth, 'idempotency-key': key, 'content-length': String(payload.length) },
      });
      const response = new Promise<{ status: number; body: string; ms: number }>((resolve, reject) => {
        request.on('response', (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: Date.now() - started }));
        });
        request.on('error', reject);
      });
      response.catch(() => undefined);
      request.write(payload.subarray(0, firstBytes));
      return {
        finish: () => {
          request.end(payload.subarray(firstBytes));
          return response;
        },
      };
    },
    async objectsOf(buildingId) {
      const keys: string[] = [];
      for await (const entry of service.storage.list({ prefix: `${ORG_A}/${buildingId}/` })) if (entry.kind === 'object') keys.push(entry.key);
      return keys;
    },
    async waitReady(timeoutMs = 60_000) {
      await expect.poll(async () => (await outage.ready()).status, { timeout: timeoutMs, interval: 500 }).toBe(200);
    },
    async close() {
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return outage;
}

/** The documents of a building, through the API. */
export async function documentsOf(outage: OutageService, buildingId: string): Promise<Document[]> {
  const response = await fetch(`${outage.baseUrl}/api/v1/buildings/${buildingId}/documents`, { headers: outage.auth, signal: AbortSignal.timeout(30_000) });
  if (response.status === 404) return [];
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: Document[] }).items;
}
