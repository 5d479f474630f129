import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { ContentIntegrity } from '../documents/integrity/content-integrity.js';
import type { DocumentProtection } from '../documents/retention/document-protection.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { BuildingExporter } from './building-exporter.js';
import type { HandoverRecorder } from './handover-recorder.js';
import { BuildingImporter } from './building-importer.js';
import { BuildingTransfer } from './building-transfer.js';
import { ExportJobs } from './export-jobs.js';
import { SigningKeyStore } from './signing-key-store.js';
import { fingerprintOf } from './archive/archive-signature.js';
import { AuthError } from '../auth/auth-errors.js';
import { canSeeOrganization } from '../documents/document-authorization.js';
import { DocumentError } from '../documents/document-errors.js';
import { canManageBuildings } from '../shared/building-permissions.js';
import type { Principal } from '../shared/principal.js';

export interface HandoverOptions {
  db: Kysely<Database>;
  storage: ObjectStorage;
  integrity: ContentIntegrity;
  protection: DocumentProtection;
  /** The folder of the organisations' signing keys. */
  keyDir: string;
  now?: () => Date;
  /** The audit trail (records exports, imports and transfers; gives a building's trail to its archive), when the installation has one. */
  recorder?: HandoverRecorder;
}

/** The folder of signing keys under a data directory. */
export function defaultKeyDir(dataDir: string): string {
  return join(dataDir, 'handover-keys');
}

/** The change of syndic (docs/handover.md): exports, their jobs, imports, transfers and the signing keys. */
export class HandoverService {
  readonly keys: SigningKeyStore;
  readonly exporter: BuildingExporter;
  readonly importer: BuildingImporter;
  readonly transfer: BuildingTransfer;
  readonly jobs: ExportJobs;

  constructor(options: HandoverOptions) {
    const now = options.now === undefined ? {} : { now: options.now };
    const recorder = options.recorder === undefined ? {} : { recorder: options.recorder };
    this.keys = new SigningKeyStore(options.keyDir);
    this.exporter = new BuildingExporter({
      db: options.db,
      storage: options.storage,
      integrity: options.integrity,
      protection: options.protection,
      ...now,
      ...recorder,
    });
    this.importer = new BuildingImporter({ db: options.db, storage: options.storage, protection: options.protection, ...now, ...recorder });
    this.transfer = new BuildingTransfer(options.db, options.protection, { ...now, ...recorder });
    this.jobs = new ExportJobs(options.db, options.storage, this.exporter, this.keys, now);
  }

  /** The organisation's public signing key, for its syndics and superadmins (another organisation's: `documents.not_found`, as for anything of it). */
  async publicKeyFor(principal: Principal, organizationId: string): Promise<{ fingerprint: string; publicKey: string }> {
    if (!canSeeOrganization(principal, organizationId)) throw DocumentError.notFound('Organization', organizationId);
    if (!canManageBuildings(principal)) throw AuthError.forbidden('reading the organisation’s signing key');
    const key = await this.keys.signingKeyOf(organizationId);
    return { fingerprint: fingerprintOf(key), publicKey: key.toPublic().armor() };
  }
}
