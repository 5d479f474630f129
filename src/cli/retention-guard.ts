import { existsSync } from 'node:fs';
import type { DocstoreConfig } from '../config.js';

/** What a maintenance command that deletes objects by key asks: which keys must stay. */
export interface RetentionGuard {
  /** The keys among these that name a retained or held document, or lie under a held building. */
  protectedKeys(keys: readonly string[]): Promise<ReadonlySet<string>>;
  /** The SHA-256 of every retained or held document's versions (for `backup forget`). */
  protectedSha256s(): Promise<Map<string, 'retention' | 'legal_hold'>>;
  close(): Promise<void>;
}

/**
 * Retention and legal hold as the configured docstore's database says (docs/retention.md), for
 * `mirror --delete` and `backup forget --prune`. The database is migrated first, as `purge` and
 * `reconcile` do. Where the configured SQLite file does not exist, no docstore data lives here:
 * nothing is protected, and nothing is created.
 */
export async function openRetentionGuard(config: DocstoreConfig): Promise<RetentionGuard> {
  if (config.database.dialect === 'sqlite' && !existsSync(config.database.path)) {
    return { protectedKeys: async () => new Set(), protectedSha256s: async () => new Map(), close: async () => {} };
  }
  const [{ openMigratedDatabase }, { DocumentProtection }, keys, { protectedSha256s }] = await Promise.all([
    import('../db/migrate.js'),
    import('../documents/retention/document-protection.js'),
    import('../documents/retention/protected-keys.js'),
    import('../documents/retention/protected-contents.js'),
  ]);
  const { db } = await openMigratedDatabase(config.database);
  const protection = new DocumentProtection(db, { serviceRetention: config.retention, now: () => new Date() });
  return {
    protectedKeys: (candidates) => keys.protectedKeys(protection, candidates),
    protectedSha256s: () => protectedSha256s(db, protection),
    close: () => db.destroy(),
  };
}
