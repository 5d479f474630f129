import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { entryHash, GENESIS_HASH } from './audit-chain.js';

export interface AuditSealerOptions {
  now?: () => Date;
  /** Entries linked per transaction. @default 500 */
  batchSize?: number;
  /** How long after a nudge the sealer runs, so that one run links many entries. @default 50 */
  nudgeDelayMs?: number;
  /** Told when a run fails (it is retried at the next nudge or tick). */
  onError?: (error: unknown) => void;
}

/**
 * Links committed entries into their organisation's hash chain, in the order it finds them:
 * each gets the next `chain_seq`, the previous entry's hash and its own (`entryHash`). The chain's
 * head row is updated first in each transaction, which locks it: two instances sealing the same
 * organisation take turns (PostgreSQL row lock; SQLite's single writer), and the second finds the
 * entries already linked. Requests never wait for this lock: they only insert.
 */
export class AuditSealer {
  private readonly now: () => Date;
  private readonly batchSize: number;
  private running: Promise<number> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: AuditSealerOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.batchSize = options.batchSize ?? 500;
  }

  /** Seals soon (coalesced): after `nudgeDelayMs`, or once the run in progress ends. */
  nudge(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.seal().catch((error: unknown) => this.options.onError?.(error));
    }, this.options.nudgeDelayMs ?? 50);
    this.timer.unref();
  }

  /** Also seals every `intervalMs` (entries committed after a nudge's run, other instances' leftovers). */
  start(intervalMs: number): void {
    this.stop();
    this.interval = setInterval(() => this.nudge(), intervalMs);
    this.interval.unref();
  }

  /** Stops the timers and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.interval !== undefined) clearInterval(this.interval);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.interval = undefined;
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Links every entry committed so far; returns how many. One run at a time per process. */
  async seal(): Promise<number> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let sealed = 0;
      do {
        this.again = false;
        for (const organizationId of await this.pendingChains()) {
          for (;;) {
            const count = await this.sealBatch(organizationId);
            sealed += count;
            if (count < this.batchSize) break;
          }
        }
      } while (this.again);
      return sealed;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pendingChains(): Promise<string[]> {
    const rows = await this.db.selectFrom('audit_entries').select('organization_id').distinct().where('chain_seq', 'is', null).execute();
    return rows.map((row) => row.organization_id);
  }

  private sealBatch(organizationId: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const at = this.now().toISOString();
      await trx
        .insertInto('audit_chain_heads')
        .values({ organization_id: organizationId, seq: 0, hash: GENESIS_HASH, updated_at: at })
        .onConflict((conflict) => conflict.column('organization_id').doNothing())
        .execute();
      // The update locks the head until commit; what it returns is the head as the last sealer left it.
      const head = await trx.updateTable('audit_chain_heads').set({ updated_at: at }).where('organization_id', '=', organizationId).returning(['seq', 'hash']).executeTakeFirstOrThrow();
      const rows = await trx.selectFrom('audit_entries').selectAll().where('organization_id', '=', organizationId).where('chain_seq', 'is', null).orderBy('id').limit(this.batchSize).execute();
      let seq = Number(head.seq);
      let hash = head.hash;
      for (const row of rows) {
        seq += 1;
        const next = entryHash(row, seq, hash);
        await trx.updateTable('audit_entries').set({ chain_seq: seq, previous_hash: hash, entry_hash: next }).where('id', '=', row.id).execute();
        hash = next;
      }
      if (rows.length > 0) await trx.updateTable('audit_chain_heads').set({ seq, hash }).where('organization_id', '=', organizationId).execute();
      return rows.length;
    });
  }
}
