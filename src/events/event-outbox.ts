import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditEntry } from '../audit/audit-entry.js';
import type { AuditListener } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import { eventTypeOf } from './event-types.js';
import { orderingKeyOf, webhookEventOf, type EventDocument } from './webhook-event.js';

export interface EventOutboxOptions {
  /** The endpoints each event goes to (`DOCSTORE_WEBHOOK_URLS`), one delivery row each. */
  endpoints: readonly string[];
  /** Told after each event is written (inside the transaction: the dispatcher looks shortly after). */
  onEvent?: () => void;
  now?: () => Date;
}

/**
 * The transactional outbox: an audit listener (`AuditLog.subscribe(outbox.listener)`) that turns
 * each successful change other systems hear about into an event and its pending deliveries, in
 * the transaction that records the change. A rolled-back change leaves no event; a committed one
 * always has its deliveries, whatever becomes of the process afterwards.
 */
export class EventOutbox {
  private readonly now: () => Date;

  constructor(private readonly options: EventOutboxOptions) {
    this.now = options.now ?? (() => new Date());
  }

  readonly listener: AuditListener = async (executor, entry) => {
    await this.write(executor, entry);
  };

  /** Writes the event of `entry` and its deliveries with `executor`; returns the event's id, or undefined when the entry makes none. */
  async write(executor: Kysely<Database>, entry: AuditEntry): Promise<string | undefined> {
    if (entry.outcome !== 'success') return undefined;
    const type = eventTypeOf(entry.action);
    if (type === undefined || this.options.endpoints.length === 0) return undefined;
    const id = randomUUID();
    const document = entry.documentId === null ? undefined : await documentOf(executor, entry.documentId);
    const payload = JSON.stringify(webhookEventOf(id, type, entry, document));
    const orderingKey = orderingKeyOf(entry);
    const inserted = await executor
      .insertInto('events')
      .values({
        id,
        type,
        organization_id: entry.organizationId,
        building_id: entry.buildingId,
        document_id: entry.documentId,
        ordering_key: orderingKey,
        occurred_at: entry.at,
        payload,
        audit_entry_id: entry.id,
      })
      .returning('seq')
      .executeTakeFirstOrThrow();
    const at = this.now().toISOString();
    await executor
      .insertInto('event_deliveries')
      .values(
        this.options.endpoints.map((endpoint) => ({
          event_id: id,
          endpoint,
          event_seq: inserted.seq,
          ordering_key: orderingKey,
          status: 'pending',
          attempts: 0,
          next_attempt_at: at,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute();
    this.options.onEvent?.();
    return id;
  }
}

/** The document as the event shows it; undefined once its row is gone (purged). */
async function documentOf(executor: Kysely<Database>, documentId: string): Promise<EventDocument | undefined> {
  const row = await executor
    .selectFrom('documents')
    .select(['title', 'type', 'file_name', 'mime_type', 'size', 'sha256', 'status', 'deleted_at'])
    .where('id', '=', documentId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    title: row.title,
    type: row.type,
    fileName: row.file_name,
    mimeType: row.mime_type,
    size: Number(row.size),
    sha256: row.sha256,
    status: row.status,
    deletedAt: row.deleted_at === null ? null : new Date(row.deleted_at).toISOString(),
  };
}
