import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { openDatabase, type DatabaseConfig, type OpenedDatabase } from './database.js';
import { MigrationFailed } from './database-errors.js';
import * as documents20261129 from './migrations/2026-11-29T00-00-00-documents.js';
import * as idempotencyKeys20261205 from './migrations/2026-12-05T00-00-00-idempotency-keys.js';
import * as buildingRegistry20261206 from './migrations/2026-12-06T00-00-00-building-registry.js';
import * as documentVersions20261206 from './migrations/2026-12-06T01-00-00-document-versions.js';
import * as retentionAndHolds20261206 from './migrations/2026-12-06T02-00-00-retention-and-holds.js';
import * as integrityScrub20261207 from './migrations/2026-12-07T00-00-00-integrity-scrub.js';
import * as handoverExports20261210 from './migrations/2026-12-10T00-00-00-handover-exports.js';
import * as exportJobHeartbeat20261210 from './migrations/2026-12-10T01-00-00-export-job-heartbeat.js';
import * as search20261209 from './migrations/2026-12-09T00-00-00-search.js';
import * as searchLanguages20261209 from './migrations/2026-12-09T00-00-00-search-languages.js';
import * as searchScope20261209 from './migrations/2026-12-09T00-00-00-search-scope.js';
import * as searchLatency20261212 from './migrations/2026-12-12T00-00-00-search-latency.js';
import * as auditTrail20261208 from './migrations/2026-12-08T00-00-00-audit-trail.js';
import * as eventsOutbox20261208 from './migrations/2026-12-08T01-00-00-events-outbox.js';

/** Every migration, by name (timestamp-prefixed); listed in code so that bundles and tests see the same set. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-29T00-00-00-documents': documents20261129,
  '2026-12-05T00-00-00-idempotency-keys': idempotencyKeys20261205,
  '2026-12-06T00-00-00-building-registry': buildingRegistry20261206,
  '2026-12-06T01-00-00-document-versions': documentVersions20261206,
  '2026-12-06T02-00-00-retention-and-holds': retentionAndHolds20261206,
  '2026-12-07T00-00-00-integrity-scrub': integrityScrub20261207,
  '2026-12-09T00-00-00-search': search20261209,
  '2026-12-09T00-00-00-search-languages': searchLanguages20261209,
  '2026-12-09T00-00-00-search-scope': searchScope20261209,
  '2026-12-08T00-00-00-audit-trail': auditTrail20261208,
  '2026-12-08T01-00-00-events-outbox': eventsOutbox20261208,
  '2026-12-10T00-00-00-handover-exports': handoverExports20261210,
  '2026-12-10T01-00-00-export-job-heartbeat': exportJobHeartbeat20261210,
  '2026-12-12T00-00-00-search-latency': searchLatency20261212,
};

/** Brings the schema to the latest version; returns the names of the migrations applied now. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((item) => item.status === 'Error')?.migrationName;
    throw new MigrationFailed(failed, result.error);
  }
  return (result.results ?? []).filter((item) => item.status === 'Success').map((item) => item.migrationName);
}

/** The names of every migration this version knows, in order. */
export function knownMigrations(): string[] {
  return Object.keys(MIGRATIONS).sort();
}

/** Opens the database and brings its schema to the latest version; closes it again when that fails. */
export async function openMigratedDatabase(config: DatabaseConfig): Promise<OpenedDatabase> {
  const opened = openDatabase(config);
  try {
    await migrateToLatest(opened.db);
  } catch (error) {
    await opened.db.destroy();
    throw error;
  }
  return opened;
}
