import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { createObjectStorage } from '../../src/storage/create-object-storage.js';
import type { ObjectStorage } from '../../src/storage/object-storage.js';
import { localSqliteService, s3PostgresService, ORG_A, type FixtureFactory, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { readAll } from '../support/streams.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

const MASTER_KEYS = `2026-11:${randomBytes(32).toString('base64')}`;
const SSE_C_KEY = randomBytes(32).toString('base64');

const cases: Array<[string, FixtureFactory, Record<string, string>, 'client' | 'sse-c']> = [
  ['client-side encryption, local + SQLite', localSqliteService, { DOCSTORE_MASTER_KEYS: MASTER_KEYS }, 'client'],
  ['client-side encryption, S3 (RGW) + PostgreSQL', s3PostgresService, { DOCSTORE_MASTER_KEYS: MASTER_KEYS }, 'client'],
  ['SSE-C, S3 (RGW) + PostgreSQL', s3PostgresService, { S3_SSE_C_KEY: SSE_C_KEY }, 'sse-c'],
];

for (const [name, factory, env, kind] of cases) {
  describe(`documents API with ${name}`, () => {
    let fixture: ServiceFixture;
    let auth: Record<string, string>;
    /** The same storage as configured, without client-side encryption (and, for SSE-C, without the key). */
    let raw: ObjectStorage;

    beforeAll(async () => {
      fixture = await factory({ listen: true, env });
      auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
      const storage = fixture.config.storage.backend === 's3' ? { ...fixture.config.storage, serverSideEncryption: { mode: 'none' as const } } : fixture.config.storage;
      raw = (await createObjectStorage(storage, { publicBaseUrl: 'http://127.0.0.1:1', dataDir: fixture.config.dataDir })).storage;
    }, 60_000);
    afterAll(async () => fixture?.close());

    it('uploads, serves whole and ranged content and a signed link in plaintext, while the storage holds none of it', async () => {
      const bytes = pdfOfSize(300_000);
      const { payload, headers } = documentUpload({ content: bytes, fileName: 'décompte.pdf' });
      const building = await registerBuilding(fixture);
      const created = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
      expect(created.statusCode, created.body).toBe(201);
      const document = created.json() as Document;
      expect(document.size).toBe(bytes.length);

      const content = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document.id}/content`, headers: auth });
      expect(content.statusCode).toBe(200);
      expect(content.rawPayload.equals(bytes)).toBe(true);
      const ranged = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document.id}/content`, headers: { ...auth, range: 'bytes=70000-70099' } });
      expect(ranged.statusCode).toBe(206);
      expect(ranged.rawPayload.equals(bytes.subarray(70_000, 70_100))).toBe(true);

      const link = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/download-url`, payload: { expiresInSeconds: 60 }, headers: auth });
      const { url } = link.json() as { url: string };
      expect(url.startsWith(`${fixture.baseUrl}/api/v1/signed/`)).toBe(true);
      const download = await fetch(url);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

      const stored: string[] = [];
      // Under the building's prefix: the test bucket may be shared with other test files.
      for await (const entry of raw.list({ prefix: `${ORG_A}/${building}/` })) if (entry.kind === 'object') stored.push(entry.key);
      expect(stored).toHaveLength(1);
      if (kind === 'client') {
        const ciphertext = await readAll((await raw.get(stored[0] as string)).body);
        expect(ciphertext.includes(bytes.subarray(0, 64))).toBe(false);
        expect(ciphertext.includes(Buffer.from('%PDF'))).toBe(false);
      } else {
        await expect(raw.get(stored[0] as string)).rejects.toMatchObject({ code: expect.stringMatching(/^storage\./) });
      }
    }, 60_000);
  });
}
