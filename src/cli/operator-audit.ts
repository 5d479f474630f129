import type { Kysely } from 'kysely';
import type { AuditAction } from '../audit/audit-actions.js';
import { INSTANCE_CHAIN, operatorActor } from '../audit/audit-entry.js';
import { AuditLog } from '../audit/audit-log.js';
import { AuditSealer } from '../audit/audit-sealer.js';
import type { DocstoreConfig } from '../config.js';
import type { Database } from '../db/database.js';

/**
 * Records an operator's command on the whole instance (`INSTANCE_CHAIN`, actor `cli` with `$USER`
 * and the command) in `db`, and links it into its chain at once. A failure to record fails the command.
 */
export async function recordOperatorAction(db: Kysely<Database>, command: string, action: AuditAction, details: Record<string, unknown>): Promise<void> {
  await new AuditLog().record(db, { action, actor: operatorActor(command), organizationId: INSTANCE_CHAIN, details });
  await new AuditSealer(db).seal();
}

/** `recordOperatorAction` on the configured database, opened (and migrated) for it. */
export async function recordOperatorActionIn(config: DocstoreConfig, command: string, action: AuditAction, details: Record<string, unknown>): Promise<void> {
  const { openMigratedDatabase } = await import('../db/migrate.js');
  const { db } = await openMigratedDatabase(config.database);
  try {
    await recordOperatorAction(db, command, action, details);
  } finally {
    await db.destroy();
  }
}
