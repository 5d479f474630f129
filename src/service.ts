import type { Kysely } from 'kysely';
import { AuditLog } from './audit/audit-log.js';
import { AuditSealer } from './audit/audit-sealer.js';
import { AuditCheckpointer } from './audit/evidence/audit-checkpointer.js';
import { CheckpointKey } from './audit/evidence/checkpoint-key.js';
import type { DocstoreConfig } from './config.js';
import type { Database } from './db/database.js';
import { openMigratedDatabase } from './db/migrate.js';
import { createEventsModule, type EventsModule } from './events/events-module.js';
import { BuildingCatalog } from './documents/building-catalog.js';
import { DocumentService } from './documents/document-service.js';
import { objectLockFollower } from './documents/retention/object-lock-follower.js';
import { ContentIntegrity } from './documents/integrity/content-integrity.js';
import { IdempotencyStore } from './idempotency/idempotency-store.js';
import { defaultKeyDir, HandoverService } from './handover/handover-service.js';
import { AuditHandoverRecorder } from './handover/audit-handover-recorder.js';
import type { DocstoreMetrics } from './metrics/docstore-metrics.js';
import { createObjectStorage, storageWiringOf } from './storage/create-object-storage.js';
import type { ObjectLinkSigner } from './storage/object-link-signer.js';
import type { ObjectStorage } from './storage/object-storage.js';
import { createSearchModule, type SearchModule } from './search/search-module.js';

export interface DocstoreServiceOptions {
  /** The time every part reads (trash cut-offs, link expiry, idempotency leases). @default () => new Date() */
  now?: () => Date;
  /** When given, the storage is measured (`MetricsObjectStorage`); the HTTP server passes its registry. */
  metrics?: DocstoreMetrics;
}

/**
 * docstore without a front end: what `serve` puts HTTP on and what the maintenance commands
 * (`purge`, `reconcile`, …) use directly. Loads neither Fastify nor the console.
 */
export interface DocstoreService {
  config: DocstoreConfig;
  /** The metadata database, migrated to the latest schema. */
  db: Kysely<Database>;
  /** The configured storage with its decorators, checked usable. */
  storage: ObjectStorage;
  /** Verifies the presigned links docstore serves itself (local backend, encryption, S3 with SSE). */
  signer?: ObjectLinkSigner;
  documents: DocumentService;
  buildings: BuildingCatalog;
  /** Outcomes of requests sent with an `Idempotency-Key`. */
  idempotency: IdempotencyStore;
  /** The record of damaged content (full reads and the scrub mark documents `broken`). */
  integrity: ContentIntegrity;
  /** Search inside documents: the use cases, the extraction tools found, the queue's workers. */
  search: SearchModule;
  /** The change of syndic: signed building exports (and their jobs), imports, transfers. */
  handover: HandoverService;
  /**
   * The audit trail: `log.record` in the transaction of each change; `sealer` links entries into each
   * organisation's chain; `checkpointer` signs the chains' heads (`serve` starts it; docs/audit.md).
   */
  audit: { log: AuditLog; sealer: AuditSealer; checkpointer: AuditCheckpointer };
  /** Events for other systems: written by the outbox in each recording transaction, sent by a dispatcher `serve` starts (docs/events.md). */
  events: EventsModule;
  /** Closes the database (the storage holds nothing open). */
  close(): Promise<void>;
}

/** How often the sealer looks for entries no nudge covered (other instances', ones committed after a run). */
const AUDIT_SEAL_INTERVAL_MS = 2000;

/**
 * The one composition root: configuration → storage (prepared: a missing bucket created when
 * configured to, then checked) → database (migrated) → documents. Nothing listens.
 */
export async function createDocstoreService(config: DocstoreConfig, options: DocstoreServiceOptions = {}): Promise<DocstoreService> {
  const now = options.now;
  const { storage, signer, prepare } = await createObjectStorage(config.storage, {
    ...storageWiringOf(config),
    ...(now === undefined ? {} : { now }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  await prepare();
  const { db } = await openMigratedDatabase(config.database);
  const followLocks = objectLockFollower(db, storage);
  const sealer = new AuditSealer(db, now === undefined ? {} : { now });
  // Entries are linked within a second of their commit: after each record, and every few seconds for other instances' leftovers.
  sealer.start(AUDIT_SEAL_INTERVAL_MS);
  const audit = new AuditLog({ sealer, ...(now === undefined ? {} : { now }) });
  // The key is read (or created) at the first signature: commands that sign nothing never touch it.
  const checkpointer = new AuditCheckpointer(db, sealer, () => CheckpointKey.loadOrCreate(config.audit.checkpointKeyFile), now === undefined ? {} : { now });
  // Events are written in the transaction that records their change (the outbox listens to the audit log).
  const events = createEventsModule(db, audit, config.webhooks, now);
  const search = await createSearchModule(db, storage, config.search, now ?? (() => new Date()), audit);
  const documents = new DocumentService({
    db,
    storage,
    audit,
    // Documents' download links are served by docstore, so that each use is checked and recorded.
    ...(signer === undefined ? {} : { linkSigner: signer }),
    allowedMimeTypes: new Set(config.allowedMimeTypes),
    maxUploadBytes: config.maxUploadBytes,
    trashDays: config.trashDays,
    retention: config.retention,
    // Under S3_OBJECT_LOCK the storage's locks follow the documents' retention and holds.
    ...(followLocks === undefined ? {} : { onProtectionChanged: followLocks }),
    // New versions queue their text extraction in the transaction that records them (issue 21).
    ...search.hooks,
    ...(now === undefined ? {} : { now }),
  });
  // Damaged content is recorded in the audit trail with the document marked broken.
  const integrity = new ContentIntegrity(db, { audit, ...(now === undefined ? {} : { now }) });
  const handover = new HandoverService({
    db,
    storage,
    integrity,
    protection: documents.protection,
    keyDir: defaultKeyDir(config.dataDir),
    // Exports, imports and transfers are recorded; an archive carries its building's trail.
    recorder: new AuditHandoverRecorder(db, audit),
    ...(now === undefined ? {} : { now }),
  });
  return {
    config,
    db,
    storage,
    ...(signer === undefined ? {} : { signer }),
    documents,
    buildings: new BuildingCatalog(db, audit, now === undefined ? {} : { now }),
    idempotency: new IdempotencyStore(db, now === undefined ? {} : { now }),
    integrity,
    handover,
    search,
    audit: { log: audit, sealer, checkpointer },
    events,
    close: async () => {
      await handover.jobs.settled();
      await events.stop();
      // What this process recorded is linked before the database closes (a CLI command's entries too),
      // and checkpointed when this process was checkpointing (`serve`).
      await checkpointer.stop();
      await sealer.stop();
      await sealer.seal();
      await db.destroy();
    },
  };
}
