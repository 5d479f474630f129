import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { knownMigrations, migrateToLatest } from '../../src/db/migrate.js';
import * as documents20261129 from '../../src/db/migrations/2026-11-29T00-00-00-documents.js';
import * as idempotencyKeys20261205 from '../../src/db/migrations/2026-12-05T00-00-00-idempotency-keys.js';
import * as buildingRegistry20261206 from '../../src/db/migrations/2026-12-06T00-00-00-building-registry.js';
import { createTestDatabase } from '../support/service-fixture.js';

/** The schema just before document versions. */
const BEFORE_VERSIONS = {
  '2026-11-29T00-00-00-documents': documents20261129,
  '2026-12-05T00-00-00-idempotency-keys': idempotencyKeys20261205,
  '2026-12-06T00-00-00-building-registry': buildingRegistry20261206,
};

const DIALECTS: Array<[string, () => Promise<{ db: Kysely<Database>; cleanup: () => Promise<void> }>]> = [
  [
    'SQLite',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'docstore-sqlite-'));
      const { db } = openDatabase({ dialect: 'sqlite', path: join(dir, 'docstore.sqlite') });
      return { db, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  ['PostgreSQL', async () => ({ db: openDatabase({ dialect: 'postgres', url: await createTestDatabase() }).db, cleanup: async () => {} })],
];

for (const [dialect, open] of DIALECTS) {
  describe(`migration to document versions on ${dialect}`, () => {
    let db: Kysely<Database>;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ db, cleanup } = await open());
      const result = await new Migrator({ db, provider: { getMigrations: async () => BEFORE_VERSIONS } }).migrateToLatest();
      expect(result.error).toBeUndefined();
    });
    afterAll(async () => {
      await db?.destroy();
      await cleanup?.();
    });

    it('makes every existing document, live or in the trash, its own version 1 with its storage key and content fields', async () => {
      const building = randomUUID();
      const old = db as unknown as Kysely<any>;
      await old.insertInto('buildings').values({ id: building, organization_id: 'org', name: 'Résidence', name_key: 'residence', created_at: '2026-01-01T00:00:00.000Z' }).execute();
      const rows = [0, 1].map((index) => {
        const id = uuidv7();
        return {
          id,
          organization_id: 'org',
          building_id: building,
          type: 'invoice',
          title: `Facture ${index}`,
          description: null,
          file_name: `facture-${index}.pdf`,
          mime_type: 'application/pdf',
          size: 1000 + index,
          sha256: String(index).repeat(64),
          uploaded_by: `user-${index}`,
          related_meeting_id: null,
          related_expense_id: null,
          storage_key: `org/${building}/${id}`,
          created_at: `2026-02-0${index + 1}T10:00:00.000Z`,
          updated_at: `2026-02-0${index + 1}T10:00:00.000Z`,
          deleted_at: index === 1 ? '2026-03-01T00:00:00.000Z' : null,
        };
      });
      for (const row of rows) await old.insertInto('documents').values(row).execute();

      const applied = await migrateToLatest(db);
      expect(applied).toContain('2026-12-06T01-00-00-document-versions');
      expect(applied).toEqual(knownMigrations().filter((name) => !(name in BEFORE_VERSIONS)));
      expect(await migrateToLatest(db)).toEqual([]);

      const versions = await db.selectFrom('document_versions').selectAll().where('document_id', 'in', rows.map((row) => row.id)).orderBy('created_at').execute();
      expect(
        versions.map((version) => ({ ...version, size: Number(version.size), version: Number(version.version), created_at: new Date(version.created_at).toISOString() })),
      ).toEqual(
        rows.map((row) => ({
          document_id: row.id,
          version: 1,
          storage_key: row.storage_key,
          size: row.size,
          sha256: row.sha256,
          mime_type: row.mime_type,
          file_name: row.file_name,
          uploaded_by: row.uploaded_by,
          created_at: row.created_at,
        })),
      );
      // The documents keep their rows and keys: no object needs rewriting.
      const documents = await db.selectFrom('documents').select(['id', 'storage_key']).where('building_id', '=', building).orderBy('created_at').execute();
      expect(documents).toEqual(rows.map((row) => ({ id: row.id, storage_key: row.storage_key })));
    });

    it('refuses a version 0, a second row of the same number and a second row of the same key', async () => {
      const [document] = await db.selectFrom('documents').select(['id', 'storage_key']).limit(1).execute();
      const row = { document_id: document?.id as string, version: 2, storage_key: `${document?.storage_key}/v2-x`, size: 1, sha256: 'a'.repeat(64), mime_type: 'application/pdf', file_name: 'x.pdf', uploaded_by: 'u', created_at: new Date().toISOString() };
      await expect(db.insertInto('document_versions').values({ ...row, version: 0, storage_key: 'other-key' }).execute()).rejects.toThrow();
      await expect(db.insertInto('document_versions').values({ ...row, version: 1 }).execute()).rejects.toThrow();
      await expect(db.insertInto('document_versions').values({ ...row, storage_key: document?.storage_key as string }).execute()).rejects.toThrow();
      await db.insertInto('document_versions').values(row).execute();
    });
  });
}
