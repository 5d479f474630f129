import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { AuditEntry, AuditEntryInput } from './audit-entry.js';
import { toAuditEntry } from './audit-mapping.js';

/** Told of each entry inside the transaction that records it (the events outbox writes its events there). */
export type AuditListener = (executor: Kysely<Database>, entry: AuditEntry) => Promise<void>;

export interface AuditLogOptions {
  now?: () => Date;
  /** Nudged after each entry so the chain is sealed soon (`AuditSealer.nudge`). */
  sealer?: { nudge(): void };
}

/** Longest user agent kept; longer ones are cut (a header is not evidence of much). */
const USER_AGENT_MAX = 512;

/**
 * Records actions in the audit trail. `record` takes the caller's transaction, so an entry exists
 * exactly when the change it records does; for reads, the caller records before the first byte is
 * sent, and a failure to record fails the request. Entries are linked into their organisation's
 * hash chain afterwards by the `AuditSealer`, so recording takes no lock shared with other requests.
 */
export class AuditLog {
  private readonly now: () => Date;
  private readonly listeners: AuditListener[] = [];

  constructor(private readonly options: AuditLogOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  /** Adds a listener called in the recording transaction after each entry (in the order added). */
  subscribe(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  /** Inserts the entry with `executor` (a transaction, or the database for an entry on its own). */
  async record(executor: Kysely<Database>, input: AuditEntryInput): Promise<AuditEntry> {
    const { actor } = input;
    const row = await executor
      .insertInto('audit_entries')
      .values({
        organization_id: input.organizationId,
        at: this.now().toISOString(),
        actor_kind: actor.kind,
        actor_subject: actor.subject,
        actor_role: actor.role,
        action: input.action,
        outcome: input.outcome ?? 'success',
        building_id: input.buildingId ?? null,
        document_id: input.documentId ?? null,
        version: input.version ?? null,
        request_id: actor.requestId ?? null,
        client_address: actor.clientAddress ?? null,
        user_agent: actor.userAgent === undefined ? null : actor.userAgent.slice(0, USER_AGENT_MAX),
        details: input.details === undefined ? null : JSON.stringify(input.details),
        chain_seq: null,
        previous_hash: null,
        entry_hash: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const entry = toAuditEntry(row);
    for (const listener of this.listeners) await listener(executor, entry);
    this.options.sealer?.nudge();
    return entry;
  }
}
