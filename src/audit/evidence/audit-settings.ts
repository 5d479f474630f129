/** How often `serve` signs a checkpoint of each chain's head. */
export const DEFAULT_CHECKPOINT_MINUTES = 60;

/** The audit trail's tamper evidence, as configured (`src/config.ts`). */
export interface AuditSettings {
  /** `DOCSTORE_AUDIT_KEY_FILE`: the Ed25519 key that signs checkpoints (PKCS#8 PEM, created 0600 on first use). @default `$DATA_DIR/audit/checkpoint-key.pem` */
  checkpointKeyFile: string;
  /** `DOCSTORE_AUDIT_CHECKPOINT_MINUTES`: minutes between checkpoints in `serve` (one also at start-up and shutdown). @default 60 */
  checkpointMinutes: number;
}
