import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Principal } from '../shared/principal.js';
import type { ExportRecord } from './building-exporter.js';

/** Who acted: a token's holder (the API) or an operator's command (the CLI). */
export type HandoverActor = { principal: Principal } | { command: string };

/** An import as the audit trail records it, in the import's transaction. */
export interface ImportRecord {
  archiveId: string;
  organizationId: string;
  buildingId: string;
  fingerprint: string;
  documentsImported: number;
  documentsSkipped: number;
  retentionsKept: number;
}

/** A transfer as the audit trail records it, in the transfer's transaction (in both organisations' trails). */
export interface TransferRecord {
  buildingId: string;
  fromOrganizationId: string;
  toOrganizationId: string;
  documents: number;
}

/**
 * What the change of syndic tells the audit trail (the port; the composition root wires the audit
 * module behind it): exports, imports and transfers, and the building's trail for the archive.
 * The import's and transfer's entries are written with the transaction that makes the change.
 */
export interface HandoverRecorder {
  exported(record: ExportRecord, actor: HandoverActor): Promise<void>;
  imported(trx: Kysely<Database>, record: ImportRecord, actor: HandoverActor): Promise<void>;
  transferred(trx: Kysely<Database>, record: TransferRecord, actor: HandoverActor): Promise<void>;
  /** The building's entries, oldest first, one JSON line each (ending in a line break). */
  trail(buildingId: string): AsyncIterable<string>;
}
