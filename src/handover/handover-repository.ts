import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { BuildingRow } from '../buildings/buildings.table.js';
import type { DocumentRow } from '../documents/documents.table.js';
import type { DocumentVersionRow } from '../documents/versions/document-versions.table.js';
import type { LegalHoldRow } from '../documents/retention/retention.table.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A building with what an export writes of it: documents (by date, then id), their versions (oldest first) and its holds. */
export interface BuildingContents {
  building: BuildingRow;
  documents: DocumentRow[];
  versions: Map<string, DocumentVersionRow[]>;
  holds: LegalHoldRow[];
}

/** Reads a building's rows; undefined when it is not registered. Memory: the rows (metadata), never contents. */
export async function buildingContents(db: Db, buildingId: string, includeTrash: boolean): Promise<BuildingContents | undefined> {
  const building = await db.selectFrom('buildings').selectAll().where('id', '=', buildingId).executeTakeFirst();
  if (building === undefined) return undefined;
  let query = db.selectFrom('documents').selectAll().where('building_id', '=', buildingId);
  if (!includeTrash) query = query.where('deleted_at', 'is', null);
  const documents = await query.orderBy('document_date').orderBy('id').execute();
  const versions = new Map<string, DocumentVersionRow[]>();
  const ids = documents.map((row) => row.id);
  for (let start = 0; start < ids.length; start += 500) {
    const rows = await db
      .selectFrom('document_versions')
      .selectAll()
      .where('document_id', 'in', ids.slice(start, start + 500))
      .orderBy('document_id')
      .orderBy('version')
      .execute();
    for (const row of rows) versions.set(row.document_id, [...(versions.get(row.document_id) ?? []), row]);
  }
  const holds = await db.selectFrom('legal_holds').selectAll().where('building_id', '=', buildingId).orderBy('placed_at').orderBy('id').execute();
  return { building, documents, versions, holds };
}

/** Which of these document ids exist already (an import skips them). */
export async function existingDocumentIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let start = 0; start < ids.length; start += 500) {
    const rows = await db.selectFrom('documents').select('id').where('id', 'in', ids.slice(start, start + 500)).execute();
    for (const row of rows) found.add(row.id);
  }
  return found;
}
