import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { signCheckpoint, type SignedCheckpoint } from './audit-checkpoint.js';
import { insertCheckpoint, uncheckpointedHeads } from './audit-chain-repository.js';
import type { CheckpointKey } from './checkpoint-key.js';

export interface AuditCheckpointerOptions {
  now?: () => Date;
}

/**
 * Signs a checkpoint of each chain's head that has none: seals first (so the head covers every
 * committed entry), then signs `(organisation, seq, hash, time, key id)` with the service's key
 * (loaded, or created, at the first signature) and stores it. Two instances signing the same head
 * keep the first checkpoint written.
 */
export class AuditCheckpointer {
  private readonly now: () => Date;
  private key: Promise<CheckpointKey> | undefined;
  private interval: NodeJS.Timeout | undefined;
  private running: Promise<SignedCheckpoint[]> | undefined;
  private onError: (error: unknown) => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sealer: { seal(): Promise<number> },
    private readonly loadKey: () => Promise<CheckpointKey>,
    private readonly options: AuditCheckpointerOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** The signing key (read or created on first use). */
  signingKey(): Promise<CheckpointKey> {
    this.key ??= this.loadKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  /** Seals, then signs every head without a checkpoint; returns the checkpoints written. One run at a time. */
  checkpoint(): Promise<SignedCheckpoint[]> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Checkpoints now and then every `intervalMs`; a failed run is told to `onError` and tried again at the next tick. The timer keeps no process alive. */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    if (this.interval !== undefined) clearInterval(this.interval);
    this.onError = onError;
    this.checkpoint().catch(onError);
    this.interval = setInterval(() => {
      this.checkpoint().catch(onError);
    }, intervalMs);
    this.interval.unref();
  }

  /** Stops the timer; when it was started, signs once more, so that a clean shutdown leaves every head checkpointed. */
  async stop(): Promise<void> {
    const started = this.interval !== undefined;
    if (this.interval !== undefined) clearInterval(this.interval);
    this.interval = undefined;
    await this.running?.catch(() => undefined);
    if (started) await this.checkpoint().catch(this.onError);
  }

  private async run(): Promise<SignedCheckpoint[]> {
    await this.sealer.seal();
    const heads = await uncheckpointedHeads(this.db);
    if (heads.length === 0) return [];
    const key = await this.signingKey();
    const signed: SignedCheckpoint[] = [];
    for (const head of heads) {
      const checkpoint = signCheckpoint(key, head, this.now());
      await insertCheckpoint(this.db, checkpoint);
      signed.push(checkpoint);
    }
    return signed;
  }
}
