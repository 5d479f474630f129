import type { CheckpointKey } from './checkpoint-key.js';
import type { AuditCheckpointRow } from '../audit.table.js';

/** Version of the signed statement below. */
const CHECKPOINT_FORMAT = 'docstore-audit-checkpoint-v1';

/** A signed statement that an organisation's chain had `hash` at `seq`, at `signedAt`. */
export interface SignedCheckpoint {
  organizationId: string;
  seq: number;
  hash: string;
  /** ISO-8601 UTC. */
  signedAt: string;
  keyId: string;
  /** Ed25519, base64. */
  signature: string;
}

/** The bytes signed: one field a line, in a fixed order (no JSON, so no question of key order or escaping). */
export function checkpointStatement(checkpoint: Omit<SignedCheckpoint, 'signature'>): Buffer {
  return Buffer.from([CHECKPOINT_FORMAT, checkpoint.organizationId, String(checkpoint.seq), checkpoint.hash, checkpoint.signedAt, checkpoint.keyId].join('\n'), 'utf8');
}

/** Signs the head `(seq, hash)` of an organisation's chain at `at`. */
export function signCheckpoint(key: CheckpointKey, head: { organizationId: string; seq: number; hash: string }, at: Date): SignedCheckpoint {
  const unsigned = { organizationId: head.organizationId, seq: head.seq, hash: head.hash, signedAt: at.toISOString(), keyId: key.keyId };
  return { ...unsigned, signature: key.sign(checkpointStatement(unsigned)) };
}

export function toSignedCheckpoint(row: AuditCheckpointRow): SignedCheckpoint {
  return {
    organizationId: row.organization_id,
    seq: Number(row.seq),
    hash: row.hash,
    signedAt: new Date(row.signed_at).toISOString(),
    keyId: row.key_id,
    signature: row.signature,
  };
}
