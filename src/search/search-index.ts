import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { indexText } from './text-folding.js';

export type SearchDialect = 'sqlite' | 'postgres';

/** The dialect of a Kysely instance (or transaction), as the migrations tell them apart. */
export function dialectOf(db: Kysely<Database>): SearchDialect {
  return db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres') ? 'postgres' : 'sqlite';
}

/**
 * The index word standing for a building: every entry holds its building's, and a search matches
 * only entries holding one of the caller's (`document-search.ts`). A hash, so that any building id
 * (the management software's own ids included) becomes one word of letters and digits.
 */
export function scopeToken(buildingId: string): string {
  return `zb${createHash('sha256').update(buildingId).digest('hex').slice(0, 24)}`;
}

/** A document's fields that its index entry is made of, beside its extracted text. */
export interface IndexedFields {
  title: string;
  fileName: string;
  buildingId: string;
}

/**
 * Writes documents' entries in the full-text index: the title (weight A: a title match ranks
 * first), the extracted text of the current version (body), both folded by `indexText`, so that
 * SQLite's FTS5 and PostgreSQL's tsvector ('simple' configuration) index the same words, and the
 * building's scope token (FTS5 column `scope`, weighing 0; tsvector weight B, never ranked).
 */
export class SearchIndex {
  /**
   * Rewrites the document's entry from its row and its extracted text, in `db` (a transaction, so
   * that it commits with the row or the text). A document that is gone has no entry.
   */
  static async refresh(db: Kysely<Database> | Transaction<Database>, documentId: string): Promise<void> {
    const row = await db
      .selectFrom('documents')
      .leftJoin('document_texts', 'document_texts.document_id', 'documents.id')
      .select(['documents.title', 'documents.file_name', 'documents.building_id', 'document_texts.text'])
      .where('documents.id', '=', documentId)
      .executeTakeFirst();
    if (row === undefined) return;
    await SearchIndex.write(db, documentId, { title: row.title, fileName: row.file_name, buildingId: row.building_id, text: row.text }, false);
  }

  /**
   * Writes the entry of a document created in this transaction (`db`), from the fields it was
   * recorded with: it has no entry and no extracted text yet, so nothing is read back (the entry
   * is the one `refresh` would write).
   */
  static async create(db: Transaction<Database>, documentId: string, fields: IndexedFields): Promise<void> {
    await SearchIndex.write(db, documentId, { ...fields, text: null }, true);
  }

  private static async write(db: Kysely<Database> | Transaction<Database>, documentId: string, fields: IndexedFields & { text: string | null }, created: boolean): Promise<void> {
    const title = indexText(`${fields.title} ${fields.fileName}`);
    const body = indexText(fields.text ?? '');
    const scope = scopeToken(fields.buildingId);
    if (dialectOf(db) === 'postgres') {
      await sql`
        insert into search_entries (document_id, tsv)
        values (${documentId}, setweight(to_tsvector('simple', ${title}), 'A') || setweight(to_tsvector('simple', ${body}), 'D') || setweight(to_tsvector('simple', ${scope}), 'B'))
        on conflict (document_id) do update set tsv = excluded.tsv
      `.execute(db);
      return;
    }
    const existing = created ? undefined : await db.selectFrom('search_entries').select('id').where('document_id', '=', documentId).executeTakeFirst();
    let id = existing?.id;
    if (id === undefined) {
      const inserted = await db.insertInto('search_entries').values({ document_id: documentId }).returning('id').executeTakeFirstOrThrow();
      id = inserted.id;
    } else {
      await sql`delete from search_fts where rowid = ${id}`.execute(db);
    }
    await sql`insert into search_fts (rowid, title, body, scope) values (${id}, ${title}, ${body}, ${scope})`.execute(db);
  }

  /** Removes every entry (before `docstore index rebuild` writes them again). */
  static async clear(db: Kysely<Database>): Promise<void> {
    await db.deleteFrom('search_entries').execute();
  }
}
