import type { Kysely } from 'kysely';
import type { Principal } from '../auth/principal.js';
import type { Database } from '../db/database.js';
import { buildingPermissions, type BuildingPermissions } from './document-authorization.js';
import * as repository from './document-repository.js';
import { decodeBuildingCursor, encodeBuildingCursor } from './list-cursor.js';

/** A building as the caller sees it: usage figures and what the caller may do there. */
export interface BuildingSummary {
  id: string;
  organizationId: string;
  /** Live documents (the trash is counted apart). */
  documents: { count: number; bytes: number };
  /** Documents in the trash, until purged. */
  trash: { count: number; bytes: number };
  /** What the caller's role allows here; the API still checks every request. */
  permissions: BuildingPermissions;
}

export interface BuildingPage {
  items: BuildingSummary[];
  nextCursor: string | null;
}

/**
 * The buildings a caller may see, under the documents' rules: a superadmin every building, a
 * syndic or accountant its organisation's, a board member or owner only the buildings of its
 * token that belong to its organisation. A building exists once a document was stored in it.
 */
export class BuildingCatalog {
  constructor(private readonly db: Kysely<Database>) {}

  async list(principal: Principal, query: { limit: number; cursor?: string }): Promise<BuildingPage> {
    const restricted = principal.role === 'board_member' || principal.role === 'owner';
    const rows = await repository.listBuildingUsage(this.db, {
      ...(principal.role === 'superadmin' ? {} : { organizationId: principal.organizationId }),
      ...(restricted ? { ids: principal.buildingIds } : {}),
      ...(query.cursor === undefined ? {} : { after: decodeBuildingCursor(query.cursor) }),
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({
        id: row.id,
        organizationId: row.organizationId,
        documents: { count: row.documentCount, bytes: row.documentBytes },
        trash: { count: row.trashCount, bytes: row.trashBytes },
        permissions: buildingPermissions(principal, row.id),
      })),
      nextCursor: rows.length > query.limit && last !== undefined ? encodeBuildingCursor(last.id) : null,
    };
  }
}

/** Count and bytes of the documents in every organisation's trash (superadmin overview). */
export async function trashUsage(db: Kysely<Database>): Promise<{ count: number; bytes: number }> {
  return repository.trashUsage(db);
}
