import SqliteDatabase from 'better-sqlite3';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, type Migration } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownMigrations } from '../../src/db/migrate.js';
import * as documents20261129 from '../../src/db/migrations/2026-11-29T00-00-00-documents.js';
import * as idempotencyKeys20261205 from '../../src/db/migrations/2026-12-05T00-00-00-idempotency-keys.js';
import type { BuildingSummary } from '../../src/shared/building.js';
import type { Document } from '../../src/shared/document.js';
import { createTestDatabase, localSqliteService, ORG_A, ORG_B, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload } from '../support/upload-request.js';
import { sha256 } from '../support/streams.js';

/**
 * A data directory written by the release of 5 December 2026 (test/fixtures/create-release-fixture.ts,
 * run once with that code and committed): opened by today's code, which migrates it. On SQLite the
 * file itself; on PostgreSQL, a database at that release's schema (its two migrations, frozen) holding
 * the same rows, with the same objects on the local disk.
 */
const FIXTURE = new URL('../fixtures/release-2026-12-05/', import.meta.url).pathname;
const A1 = '0190b000-0000-7000-8000-0000000000a1';
const A2 = '0190b000-0000-7000-8000-0000000000a2';
const B1 = '0190b000-0000-7000-8000-0000000000b1';

interface FixtureDocument {
  id: string;
  organizationId: string;
  buildingId: string;
  type: string;
  title: string;
  fileName: string;
  mimeType: string;
  size: number;
  sha256: string;
  trashed: boolean;
}

const RELEASE_MIGRATIONS: Record<string, Migration> = {
  '2026-11-29T00-00-00-documents': documents20261129,
  '2026-12-05T00-00-00-idempotency-keys': idempotencyKeys20261205,
};

/** A PostgreSQL database at the release's schema with the fixture's rows; returns its URL. */
async function releaseDatabaseOnPostgres(sqlitePath: string): Promise<string> {
  const url = await createTestDatabase();
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  const sqlite = new SqliteDatabase(sqlitePath, { readonly: true });
  try {
    const result = await new Migrator({ db, provider: { getMigrations: async () => RELEASE_MIGRATIONS } }).migrateToLatest();
    if (result.error !== undefined) throw result.error;
    for (const table of ['buildings', 'documents']) {
      const rows = sqlite.prepare(`select * from ${table}`).all() as Array<Record<string, unknown>>;
      await db.insertInto(table).values(rows).execute();
    }
  } finally {
    sqlite.close();
    await db.destroy();
  }
  return url;
}

const PAIRS: Array<[string, (dataDir: string) => Promise<Record<string, string>>]> = [
  ['SQLite', async () => ({})],
  ['PostgreSQL', async (dataDir) => ({ DATABASE_URL: await releaseDatabaseOnPostgres(join(dataDir, 'docstore.sqlite')) })],
];

for (const [name, databaseEnv] of PAIRS) {
  describe(`a data directory of the 2026-12-05 release, migrated on ${name}`, () => {
    let dataDir: string;
    let fixture: ServiceFixture;
    let documents: FixtureDocument[];

    beforeAll(async () => {
      documents = (JSON.parse(await readFile(join(FIXTURE, 'manifest.json'), 'utf8')) as { documents: FixtureDocument[] }).documents;
      dataDir = await mkdtemp(join(tmpdir(), 'docstore-release-'));
      await cp(FIXTURE, dataDir, { recursive: true });
      fixture = await localSqliteService({ env: { DATA_DIR: dataDir, ...(await databaseEnv(dataDir)) } });
    });
    afterAll(async () => {
      await fixture?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    const call = async (token: string, url: string, method: 'GET' | 'POST' | 'PATCH' = 'GET', payload?: object) =>
      fixture.service.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload }) });

    it('runs every migration of today', async () => {
      const applied = await fixture.service.db.selectFrom('kysely_migration' as never).select('name' as never).orderBy('name' as never).execute();
      expect(applied.map((row) => (row as { name: string }).name)).toEqual(knownMigrations());
    });

    it('registers every building that had documents, under its organisation, with an empty name', async () => {
      const listing = await call(await fixture.token('syndic'), '/api/v1/buildings');
      expect(listing.statusCode, listing.body).toBe(200);
      const items = (listing.json() as { items: BuildingSummary[] }).items;
      expect(items.map((building) => building.id)).toEqual([A1, A2]);
      expect(items[0]).toMatchObject({
        organizationId: ORG_A,
        name: '',
        address: { street: null, postalCode: null, city: null, country: 'BE' },
        externalReference: null,
        financialYearEnd: { month: 12, day: 31 },
        trash: { count: 1 },
        documents: { count: 2 },
      });
      expect(items[0]?.updatedAt).toBe(items[0]?.createdAt);
      const other = (await call(await fixture.token('syndic', { org: ORG_B }), '/api/v1/buildings')).json() as { items: BuildingSummary[] };
      expect(other.items.map((building) => ({ id: building.id, name: building.name, count: building.documents.count }))).toEqual([{ id: B1, name: '', count: 2 }]);
    });

    it('keeps every document: its fields, and its content to the byte (SHA-256)', async () => {
      for (const expected of documents) {
        const token = await fixture.token('syndic', { org: expected.organizationId });
        if (expected.trashed) {
          const trash = (await call(token, `/api/v1/buildings/${expected.buildingId}/trash`)).json() as { items: Document[] };
          expect(trash.items.map((document) => document.id)).toContain(expected.id);
          expect((await call(token, `/api/v1/documents/${expected.id}/restore`, 'POST')).statusCode).toBe(200);
        }
        const document = (await call(token, `/api/v1/documents/${expected.id}`)).json() as Document;
        expect(document).toMatchObject({
          id: expected.id,
          organizationId: expected.organizationId,
          buildingId: expected.buildingId,
          type: expected.type,
          title: expected.title,
          fileName: expected.fileName,
          mimeType: expected.mimeType,
          size: expected.size,
          sha256: expected.sha256,
        });
        const content = await call(token, `/api/v1/documents/${expected.id}/content`);
        expect(content.statusCode).toBe(200);
        expect(sha256(content.rawPayload)).toBe(expected.sha256);
      }
      const listing = (await call(await fixture.token('syndic'), `/api/v1/buildings/${A1}/documents`)).json() as { items: Document[] };
      expect(listing.items.map((document) => document.id).sort()).toEqual(documents.filter((document) => document.buildingId === A1).map((document) => document.id).sort());
    });

    it('a backfilled building is named by a syndic and takes new uploads; another organisation still cannot', async () => {
      const syndic = await fixture.token('syndic');
      const named = await call(syndic, `/api/v1/buildings/${A2}`, 'PATCH', { name: 'Résidence Les Tilleuls', address: { city: 'Bruxelles' } });
      expect(named.statusCode, named.body).toBe(200);
      expect(named.json()).toMatchObject({ name: 'Résidence Les Tilleuls', documents: { count: 1 } });
      const { payload, headers } = documentUpload();
      const uploaded = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${A2}/documents`, payload, headers: { ...headers, authorization: `Bearer ${syndic}` } });
      expect(uploaded.statusCode, uploaded.body).toBe(201);
      const squat = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${A2}/documents`, payload, headers: { ...headers, authorization: `Bearer ${await fixture.token('syndic', { org: ORG_B })}` } });
      expect(squat.statusCode).toBe(404);
      const listing = (await call(syndic, '/api/v1/buildings')).json() as { items: BuildingSummary[] };
      // Unnamed buildings first, then by name.
      expect(listing.items.map((building) => building.name)).toEqual(['', 'Résidence Les Tilleuls']);
    });
  });
}
