import type { Insertable, Selectable, Updateable } from 'kysely';

/**
 * One row per export job (`POST /buildings/{id}/exports`): running, then ready (its archive stored
 * under `storage_key`) or failed (with the error's code). Timestamps are ISO-8601 strings (UTC) on
 * SQLite, timestamptz on PostgreSQL.
 */
export interface HandoverExportsTable {
  id: string;
  organization_id: string;
  building_id: string;
  /** `running`, `ready` or `failed`. */
  status: string;
  /** 1 when the trash was included. */
  include_trash: number;
  requested_by: string;
  storage_key: string | null;
  file_name: string | null;
  /** bigint on PostgreSQL (read back as a string). */
  size: number | string | null;
  sha256: string | null;
  documents: number | null;
  versions: number | null;
  error_code: string | null;
  error_message: string | null;
  created_at: string | Date;
  finished_at: string | Date | null;
  /** The instance running the job (its heartbeat); null once finished. */
  lease_owner: string | null;
  /** Renewed while the job runs; a `running` job past it (or without one) was abandoned. */
  lease_expires_at: string | Date | null;
}

export type HandoverExportRow = Selectable<HandoverExportsTable>;
export type NewHandoverExportRow = Insertable<HandoverExportsTable>;
export type HandoverExportRowUpdate = Updateable<HandoverExportsTable>;
