import type { Selectable } from 'kysely';

/**
 * The scrub's progress, one row per scrub (`default`): where the current pass has got to (the last
 * version read, in (document, version) order), when it began, when a pass last read everything,
 * and the lease of the instance scrubbing now. Timestamps are ISO-8601 strings (UTC) on SQLite,
 * timestamptz on PostgreSQL.
 */
export interface ScrubStateTable {
  name: string;
  /** The last version read; null at the start of a pass. */
  cursor_document_id: string | null;
  cursor_version: number | null;
  pass_started_at: string | Date | null;
  last_completed_at: string | Date | null;
  /** Who scrubs now (a random id per run) and until when; another run waits for the lease to lapse. */
  lease_owner: string | null;
  lease_expires_at: string | Date | null;
}

export type ScrubStateRow = Selectable<ScrubStateTable>;
