import { createHash } from 'node:crypto';
import type { AuditEntryRow } from './audit.table.js';

/** The `previous_hash` of a chain's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Version of the hashed form below: a change of form gets a new version, old entries keep theirs. */
const CHAIN_FORMAT = 'docstore-audit-v1';

/** An entry's fields that its hash covers, in a fixed order (everything but the hash itself). */
export type ChainedFields = Omit<AuditEntryRow, 'entry_hash' | 'chain_seq' | 'previous_hash'>;

/**
 * SHA-256 (hex) over the entry's position, the previous entry's hash and every recorded field, as
 * a JSON array in a fixed order: editing, removing, reordering or inserting an entry changes the
 * hash of every entry after it. Timestamps are normalised to ISO-8601 UTC so SQLite's text and
 * PostgreSQL's timestamptz hash alike.
 */
export function entryHash(entry: ChainedFields, seq: number, previousHash: string): string {
  const fields = [
    CHAIN_FORMAT,
    seq,
    previousHash,
    Number(entry.id),
    entry.organization_id,
    new Date(entry.at).toISOString(),
    entry.actor_kind,
    entry.actor_subject,
    entry.actor_role,
    entry.action,
    entry.outcome,
    entry.building_id,
    entry.document_id,
    entry.version,
    entry.request_id,
    entry.client_address,
    entry.user_agent,
    entry.details,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}
