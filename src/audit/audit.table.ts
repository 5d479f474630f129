import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * One row per recorded action. Rows are written in the transaction of the change they record
 * (`AuditLog.record`) and linked into their organisation's hash chain shortly after by the
 * `AuditSealer`: `chain_seq`, `previous_hash` and `entry_hash` stay null until then. Timestamps
 * are ISO-8601 strings (UTC) on SQLite, timestamptz on PostgreSQL.
 */
export interface AuditEntriesTable {
  /** Insertion order (bigserial on PostgreSQL, read back as a string). Not the chain order: see `chain_seq`. */
  id: Generated<number | string>;
  /** The chain the entry belongs to: an organisation, or `*` (`INSTANCE_CHAIN`) for actions on the whole instance. */
  organization_id: string;
  at: string | Date;
  actor_kind: string;
  /** The token's `sub`, the CLI's operator (`$USER`), or the job's name. */
  actor_subject: string | null;
  actor_role: string | null;
  action: string;
  outcome: string;
  building_id: string | null;
  document_id: string | null;
  version: number | null;
  request_id: string | null;
  client_address: string | null;
  user_agent: string | null;
  /** JSON: what changed (`{ "changes": { "title": { "from": …, "to": … } } }`), the range read, a reason… */
  details: string | null;
  /** 1, 2, 3… within the organisation's chain, once sealed. */
  chain_seq: number | null;
  previous_hash: string | null;
  entry_hash: string | null;
}

/** The last sealed entry of each chain: the sealer locks this row while it links new entries. */
export interface AuditChainHeadsTable {
  organization_id: string;
  seq: number;
  hash: string;
  updated_at: string | Date;
}

/** A signed statement of a chain's head (`AuditCheckpointSigner`): Ed25519 over the canonical checkpoint. */
export interface AuditCheckpointsTable {
  organization_id: string;
  seq: number;
  hash: string;
  signed_at: string | Date;
  /** SHA-256 of the public key (hex, first 16 bytes): which key signed. */
  key_id: string;
  /** base64. */
  signature: string;
}

export type AuditEntryRow = Selectable<AuditEntriesTable>;
export type NewAuditEntryRow = Insertable<AuditEntriesTable>;
export type AuditCheckpointRow = Selectable<AuditCheckpointsTable>;
