import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * One row per registered building, under one organisation for good. Buildings that had documents
 * before registration existed were registered by the migration with an empty `name`.
 * Columns with a default (`Generated`) are empty, BE and 31 December when not given. Timestamps are ISO-8601 strings (UTC) on SQLite, timestamptz on PostgreSQL.
 */
export interface BuildingsTable {
  /** The property-management application's id when it gave one, else docstore's (UUID). */
  id: string;
  organization_id: string;
  /** Empty for a building registered by the migration, until someone names it. */
  name: Generated<string>;
  /** `name` folded for sorting (`nameKey`): lower case, without accents. */
  name_key: Generated<string>;
  street: string | null;
  postal_code: string | null;
  city: string | null;
  /** ISO 3166-1 alpha-2. */
  country: Generated<string>;
  external_reference: string | null;
  financial_year_end_month: Generated<number>;
  financial_year_end_day: Generated<number>;
  created_at: string | Date;
  /** Null on a row restored from a backup made before buildings were registered: read as `created_at`. */
  updated_at: string | Date | null;
}

export type BuildingRow = Selectable<BuildingsTable>;
export type NewBuildingRow = Insertable<BuildingsTable>;
export type BuildingRowUpdate = Updateable<BuildingsTable>;
