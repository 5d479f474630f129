import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { entryHash, GENESIS_HASH } from '../audit-chain.js';
import { chainHead, chainIds, checkpointPage, countSealed, sealedPage } from './audit-chain-repository.js';
import { checkpointStatement, type SignedCheckpoint } from './audit-checkpoint.js';
import { keyIdOf, signatureValid } from './checkpoint-key.js';
import type { AuditEntryRow } from '../audit.table.js';

/**
 * What is wrong at a place of a chain:
 * - `removed`: seqs missing before this entry;
 * - `duplicated`: a second entry claims a seq already seen;
 * - `altered`: the entry does not hash to its `entry_hash` (its content, seq or link was changed);
 * - `unlinked`: its `previous_hash` is not the hash of the entry before it (that one was replaced);
 * - `checkpoint_mismatch`: a signed checkpoint says the chain had another hash at this seq (rewritten, hashes recomputed);
 * - `checkpoint_forged`: a checkpoint whose signature does not verify under its key;
 * - `checkpoint_unknown_key`: a checkpoint signed by a key verify was not given (`--public-key`);
 * - `truncated`: a checkpoint or the head names a seq beyond the chain's last entry;
 * - `head_mismatch`: the chain's head row disagrees with its last entry; `beyond_head`: entries after the head.
 */
export type ChainProblemKind =
  | 'removed'
  | 'duplicated'
  | 'altered'
  | 'unlinked'
  | 'checkpoint_mismatch'
  | 'checkpoint_forged'
  | 'checkpoint_unknown_key'
  | 'truncated'
  | 'head_mismatch'
  | 'beyond_head';

export interface ChainProblem {
  organizationId: string;
  seq: number;
  /** The entry's row id; null when the entry is gone. */
  entryId: number | null;
  kind: ChainProblemKind;
  message: string;
  /** The checkpoint involved: where it was read (`database`, `snapshot <id>`) and when it was signed. */
  checkpoint?: { source: string; signedAt: string; keyId: string };
}

/** A checkpoint read elsewhere than the database (a backup snapshot's manifest), and from where. */
export interface ExternalCheckpoint extends SignedCheckpoint {
  source: string;
}

export interface ChainReport {
  organizationId: string;
  entries: number;
  lastSeq: number;
  /** Checkpoints whose signature verified (database and external). */
  checkpoints: number;
  /** The first broken place in chain order, or null when the chain holds. */
  firstBroken: ChainProblem | null;
  /** Every problem found, in chain order (at most `maxProblems`). */
  problems: ChainProblem[];
  problemCount: number;
}

export interface AuditVerifyReport {
  ok: boolean;
  chains: ChainReport[];
  entries: number;
  checkpoints: number;
  problems: number;
  /** Ids of the keys checkpoints were verified with. */
  keys: string[];
}

export interface AuditVerifyOptions {
  /** Only this organisation's chain (`*` is the instance's). */
  organizationId?: string;
  /** Public keys whose checkpoints are trusted (the service's own, and any given). */
  trustedKeys: readonly KeyObject[];
  /** Checkpoints from backup snapshots. */
  external?: readonly ExternalCheckpoint[];
  /** Links committed entries first (`AuditSealer.seal`). */
  sealer?: { seal(): Promise<number> };
  /** Entries read at once. @default 1000 */
  pageSize?: number;
  /** Problems kept per chain. @default 100 */
  maxProblems?: number;
  /** Called after each page of each chain. */
  onProgress?: (progress: { organizationId: string; entries: number; total: number }) => void;
}

/**
 * Walks each chain in `chain_seq` order, a page at a time (memory flat in the chain's length), and
 * checks that every entry hashes to its `entry_hash`, links to the one before it, that no seq is
 * missing or doubled, that each checkpoint verifies under a trusted key and that the chain still
 * has the checkpoint's hash at its seq, and that the head row agrees with the last entry.
 */
export async function verifyAuditTrail(db: Kysely<Database>, options: AuditVerifyOptions): Promise<AuditVerifyReport> {
  await options.sealer?.seal();
  const keys = new Map(options.trustedKeys.map((key) => [keyIdOf(key), key]));
  const external = options.external ?? [];
  const ids = new Set(await chainIds(db));
  for (const checkpoint of external) ids.add(checkpoint.organizationId);
  const chosen = [...ids].filter((id) => options.organizationId === undefined || id === options.organizationId).sort();
  if (options.organizationId !== undefined && chosen.length === 0) chosen.push(options.organizationId);
  const chains: ChainReport[] = [];
  for (const organizationId of chosen) {
    chains.push(await new ChainWalk(db, organizationId, keys, external.filter((checkpoint) => checkpoint.organizationId === organizationId), options).run());
  }
  const problems = chains.reduce((sum, chain) => sum + chain.problemCount, 0);
  return {
    ok: problems === 0,
    chains,
    entries: chains.reduce((sum, chain) => sum + chain.entries, 0),
    checkpoints: chains.reduce((sum, chain) => sum + chain.checkpoints, 0),
    problems,
    keys: [...keys.keys()],
  };
}

type SourcedCheckpoint = SignedCheckpoint & { source: string };

/** One chain's walk: entries and checkpoints (database's paged, external's sorted) merged by seq. */
class ChainWalk {
  private readonly pageSize: number;
  private readonly maxProblems: number;
  private readonly problems: ChainProblem[] = [];
  private problemCount = 0;
  private entries = 0;
  private verifiedCheckpoints = 0;
  private lastSeq = 0;
  private lastHash = GENESIS_HASH;
  private lastId: number | null = null;
  /** The highest seq a verified checkpoint confirmed, for the message of a later mismatch. */
  private confirmedSeq = 0;
  private readonly checkpoints: AsyncIterator<SourcedCheckpoint>;
  private nextCheckpoint: SourcedCheckpoint | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly organizationId: string,
    private readonly keys: ReadonlyMap<string, KeyObject>,
    external: readonly ExternalCheckpoint[],
    private readonly options: AuditVerifyOptions,
  ) {
    this.pageSize = options.pageSize ?? 1000;
    this.maxProblems = options.maxProblems ?? 100;
    this.checkpoints = mergeBySeq(this.databaseCheckpoints(), [...external].sort((a, b) => a.seq - b.seq))[Symbol.asyncIterator]();
  }

  async run(): Promise<ChainReport> {
    const total = this.options.onProgress === undefined ? 0 : await countSealed(this.db, this.organizationId);
    this.nextCheckpoint = await this.pull();
    for (;;) {
      // The head is read before each page: every entry it counts was committed before the page is read.
      const before = await chainHead(this.db, this.organizationId);
      const rows = await sealedPage(this.db, this.organizationId, this.lastSeq, this.pageSize);
      for (const row of rows) await this.visit(row);
      this.options.onProgress?.({ organizationId: this.organizationId, entries: this.entries, total: Math.max(total, this.entries) });
      if (rows.length === this.pageSize) continue;
      if (before !== undefined && before.seq > this.lastSeq) {
        await this.finish(before);
        break;
      }
      // Entries past the head read before: a sealer (this instance's or another's) may have linked them since.
      const after = before !== undefined && before.seq === this.lastSeq ? before : await chainHead(this.db, this.organizationId);
      if (after !== undefined && after.seq > this.lastSeq) continue;
      await this.finish(after);
      break;
    }
    return {
      organizationId: this.organizationId,
      entries: this.entries,
      lastSeq: this.lastSeq,
      checkpoints: this.verifiedCheckpoints,
      firstBroken: this.problems[0] ?? null,
      problems: this.problems,
      problemCount: this.problemCount,
    };
  }

  private async visit(row: AuditEntryRow): Promise<void> {
    const seq = Number(row.chain_seq);
    const id = Number(row.id);
    this.entries++;
    if (seq <= this.lastSeq) {
      this.report({ seq, entryId: id, kind: 'duplicated', message: `a second entry (id ${id}) claims seq ${seq}: an entry was inserted` });
      return;
    }
    const gap = seq > this.lastSeq + 1;
    if (gap) {
      const from = this.lastSeq + 1;
      this.report({ seq: from, entryId: null, kind: 'removed', message: `${from === seq - 1 ? `entry ${from} is` : `entries ${from} to ${seq - 1} are`} missing: removed` });
    }
    if (entryHash(row, seq, row.previous_hash ?? '') !== row.entry_hash) {
      this.report({ seq, entryId: id, kind: 'altered', message: `entry ${seq} (id ${id}) does not hash to its entry_hash: its content, position or link was changed` });
    } else if (!gap && row.previous_hash !== this.lastHash) {
      this.report({ seq, entryId: id, kind: 'unlinked', message: `entry ${seq} (id ${id}) does not link to entry ${seq - 1}'s hash: the entry before it was replaced` });
    }
    await this.checkpointsUpTo(seq, row.entry_hash ?? '', id);
    this.lastSeq = seq;
    this.lastHash = row.entry_hash ?? '';
    this.lastId = id;
  }

  /** Checks every checkpoint at or before `seq` (those before it name a seq that is gone). */
  private async checkpointsUpTo(seq: number, hash: string, id: number): Promise<void> {
    while (this.nextCheckpoint !== undefined && this.nextCheckpoint.seq <= seq) {
      const checkpoint = this.nextCheckpoint;
      this.nextCheckpoint = await this.pull();
      if (!this.signedByTrustedKey(checkpoint)) continue;
      if (checkpoint.seq < seq) {
        this.report({ seq: checkpoint.seq, entryId: null, kind: 'checkpoint_mismatch', message: `a checkpoint names seq ${checkpoint.seq}, which the chain no longer has`, checkpoint: sourceOf(checkpoint) });
      } else if (checkpoint.hash !== hash) {
        this.report({
          seq,
          entryId: id,
          kind: 'checkpoint_mismatch',
          message: `the checkpoint signed at ${checkpoint.signedAt} says entry ${seq} hashed to ${checkpoint.hash.slice(0, 16)}…, the chain now has ${hash.slice(0, 16)}…: entries after ${this.confirmedSeq} up to ${seq} were rewritten with recomputed hashes`,
          checkpoint: sourceOf(checkpoint),
        });
      } else {
        this.confirmedSeq = seq;
      }
    }
  }

  private async finish(head: { seq: number; hash: string } | undefined): Promise<void> {
    let current: { seq: number } | undefined;
    while (this.nextCheckpoint !== undefined) {
      const checkpoint = this.nextCheckpoint;
      this.nextCheckpoint = await this.pull();
      if (!this.signedByTrustedKey(checkpoint)) continue;
      // A checkpoint of entries sealed (and signed) since the walk ended is no loss: the head has them.
      current ??= (await chainHead(this.db, this.organizationId)) ?? { seq: 0 };
      if (checkpoint.source === 'database' && current.seq >= checkpoint.seq && current.seq > this.lastSeq) continue;
      this.report({
        seq: checkpoint.seq,
        entryId: null,
        kind: 'truncated',
        message: `the checkpoint signed at ${checkpoint.signedAt} names entry ${checkpoint.seq}, but the chain ends at ${this.lastSeq}: entries after ${this.lastSeq} were removed`,
        checkpoint: sourceOf(checkpoint),
      });
    }
    if (head === undefined) {
      if (this.lastSeq > 0) this.report({ seq: this.lastSeq, entryId: this.lastId, kind: 'head_mismatch', message: 'the chain has entries but no head row' });
    } else if (head.seq < this.lastSeq) {
      this.report({ seq: head.seq + 1, entryId: null, kind: 'beyond_head', message: `the head says the chain ends at ${head.seq}, yet it goes on to ${this.lastSeq}: entries were added behind the sealer` });
    } else if (head.seq > this.lastSeq) {
      this.report({ seq: this.lastSeq + 1, entryId: null, kind: 'truncated', message: `the head says the chain goes to ${head.seq}, but it ends at ${this.lastSeq}: entries after ${this.lastSeq} were removed` });
    } else if (head.hash !== this.lastHash) {
      this.report({ seq: head.seq, entryId: this.lastId, kind: 'head_mismatch', message: `the head's hash is not entry ${head.seq}'s: the last entry was replaced` });
    }
  }

  private signedByTrustedKey(checkpoint: SourcedCheckpoint): boolean {
    const key = this.keys.get(checkpoint.keyId);
    if (key === undefined) {
      this.report({ seq: checkpoint.seq, entryId: null, kind: 'checkpoint_unknown_key', message: `a checkpoint is signed by key ${checkpoint.keyId}, which verify was not given (--public-key)`, checkpoint: sourceOf(checkpoint) });
      return false;
    }
    const { signature, ...statement } = checkpoint;
    const { source: _source, ...unsigned } = statement;
    if (!signatureValid(key, checkpointStatement(unsigned), signature)) {
      this.report({ seq: checkpoint.seq, entryId: null, kind: 'checkpoint_forged', message: `the checkpoint of entry ${checkpoint.seq} signed at ${checkpoint.signedAt} has a signature that does not verify: it was forged or changed`, checkpoint: sourceOf(checkpoint) });
      return false;
    }
    this.verifiedCheckpoints++;
    return true;
  }

  private report(problem: Omit<ChainProblem, 'organizationId'>): void {
    this.problemCount++;
    if (this.problems.length < this.maxProblems) this.problems.push({ organizationId: this.organizationId, ...problem });
  }

  private async pull(): Promise<SourcedCheckpoint | undefined> {
    const next = await this.checkpoints.next();
    return next.done === true ? undefined : next.value;
  }

  private async *databaseCheckpoints(): AsyncIterable<SourcedCheckpoint> {
    let after = 0;
    for (;;) {
      const page = await checkpointPage(this.db, this.organizationId, after, this.pageSize);
      for (const checkpoint of page) yield { ...checkpoint, source: 'database' };
      if (page.length < this.pageSize) return;
      after = page[page.length - 1]!.seq;
    }
  }
}

function sourceOf(checkpoint: SourcedCheckpoint): { source: string; signedAt: string; keyId: string } {
  return { source: checkpoint.source, signedAt: checkpoint.signedAt, keyId: checkpoint.keyId };
}

/** Two seq-ordered sequences as one. */
async function* mergeBySeq(paged: AsyncIterable<SourcedCheckpoint>, sorted: readonly SourcedCheckpoint[]): AsyncIterable<SourcedCheckpoint> {
  let index = 0;
  for await (const checkpoint of paged) {
    while (index < sorted.length && sorted[index]!.seq <= checkpoint.seq) yield sorted[index++]!;
    yield checkpoint;
  }
  while (index < sorted.length) yield sorted[index++]!;
}
