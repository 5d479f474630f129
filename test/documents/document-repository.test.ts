import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { knownMigrations, migrateToLatest } from '../../src/db/migrate.js';
import * as buildings from '../../src/buildings/building-repository.js';
import * as repository from '../../src/documents/document-repository.js';
import { DIALECTS } from '../support/databases.js';


for (const [dialect, open] of DIALECTS) {
  describe(`document repository on ${dialect}`, () => {
    let db: Kysely<Database>;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ db, cleanup } = await open());
      expect(await migrateToLatest(db)).toEqual(knownMigrations());
      expect(await migrateToLatest(db)).toEqual([]);
    });
    afterAll(async () => {
      await db?.destroy();
      await cleanup?.();
    });

    function row(building: string, createdAt: string, title = 'Facture', fileName = 'f.pdf') {
      const id = uuidv7();
      return {
        id,
        organization_id: 'org',
        building_id: building,
        type: 'invoice',
        title,
        description: null,
        file_name: fileName,
        mime_type: 'application/pdf',
        size: 10,
        sha256: 'a'.repeat(64),
        uploaded_by: 'u',
        related_meeting_id: null,
        related_expense_id: null,
        storage_key: `org/${building}/${id}`,
        // Required since the retention migration (docstore writes the upload date when none is given).
        document_date: createdAt.slice(0, 10),
        created_at: createdAt,
        updated_at: createdAt,
        deleted_at: null,
      };
    }

    it('registers a building id once: a second registration, by any organisation, inserts nothing', async () => {
      const building = randomUUID();
      const now = new Date().toISOString();
      expect(await buildings.insertBuilding(db, { id: building, organization_id: 'org-a', name: 'A', created_at: now })).toBe(true);
      expect(await buildings.insertBuilding(db, { id: building, organization_id: 'org-b', name: 'B', created_at: now })).toBe(false);
      expect(await buildings.findBuilding(db, building)).toMatchObject({ organization_id: 'org-a', name: 'A', country: 'BE', financial_year_end_month: 12, financial_year_end_day: 31 });
    });

    it('pages newest first with ties on created_at broken by id, stable under inserts', async () => {
      const building = randomUUID();
      await buildings.insertBuilding(db, { id: building, organization_id: 'org', created_at: new Date().toISOString() });
      const same = '2026-01-01T10:00:00.000Z';
      const rows = [row(building, '2026-01-01T09:00:00.000Z'), row(building, same), row(building, same), row(building, same), row(building, '2026-01-01T11:00:00.000Z')];
      for (const r of rows) await repository.insertDocument(db, r);
      const expected = [rows[4], rows[3], rows[2], rows[1], rows[0]].map((r) => r?.id);
      const first = await repository.listDocuments(db, { buildingId: building, deleted: false, limit: 2 });
      const last = first[first.length - 1] as { id: string; created_at: string | Date };
      await repository.insertDocument(db, row(building, '2026-01-01T12:00:00.000Z'));
      const after = { createdAt: new Date(last.created_at).toISOString(), id: last.id };
      const rest = await repository.listDocuments(db, { buildingId: building, deleted: false, limit: 10, after });
      expect([...first, ...rest].map((r) => r.id)).toEqual(expected);
    });

    it('searches titles and file names case-insensitively, treating % and _ literally', async () => {
      const building = randomUUID();
      await buildings.insertBuilding(db, { id: building, organization_id: 'org', created_at: new Date().toISOString() });
      await repository.insertDocument(db, row(building, '2026-02-01T00:00:00.000Z', 'Budget 100% chauffage', 'budget.pdf'));
      await repository.insertDocument(db, row(building, '2026-02-02T00:00:00.000Z', 'Contrat', 'contrat_ascenseur.pdf'));
      await repository.insertDocument(db, row(building, '2026-02-03T00:00:00.000Z', 'Autre', 'autre.pdf'));
      const titles = async (q: string) => (await repository.listDocuments(db, { buildingId: building, deleted: false, limit: 10, q })).map((r) => r.title);
      expect(await titles('CHAUFFAGE')).toEqual(['Budget 100% chauffage']);
      expect(await titles('100%')).toEqual(['Budget 100% chauffage']);
      expect(await titles('t_a')).toEqual(['Contrat']);
      expect(await titles('%')).toEqual(['Budget 100% chauffage']);
      expect(await titles('ascenseur')).toEqual(['Contrat']);
    });

    it('separates live documents from the trash and finds purgeable ones', async () => {
      const building = randomUUID();
      await buildings.insertBuilding(db, { id: building, organization_id: 'org', created_at: new Date().toISOString() });
      const live = row(building, '2026-03-01T00:00:00.000Z');
      const trashed = { ...row(building, '2026-03-02T00:00:00.000Z'), deleted_at: '2026-03-03T00:00:00.000Z' };
      await repository.insertDocument(db, live);
      await repository.insertDocument(db, trashed);
      expect((await repository.listDocuments(db, { buildingId: building, deleted: false, limit: 10 })).map((r) => r.id)).toEqual([live.id]);
      expect((await repository.listDocuments(db, { buildingId: building, deleted: true, limit: 10 })).map((r) => r.id)).toEqual([trashed.id]);
      const purgeable = await repository.listPurgeable(db, '2026-03-04T00:00:00.000Z', 100);
      expect(purgeable.map((r) => r.id)).toContain(trashed.id);
      expect(purgeable.map((r) => r.id)).not.toContain(live.id);
    });

    it('refuses a second row with the same storage key', async () => {
      const building = randomUUID();
      await buildings.insertBuilding(db, { id: building, organization_id: 'org', created_at: new Date().toISOString() });
      const first = row(building, '2026-04-01T00:00:00.000Z');
      await repository.insertDocument(db, first);
      await expect(repository.insertDocument(db, { ...row(building, '2026-04-01T00:00:00.000Z'), storage_key: first.storage_key })).rejects.toThrow();
    });
  });
}
