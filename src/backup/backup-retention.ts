import { BackupError } from './backup-errors.js';
import type { BackupRepository, Snapshot } from './repository/backup-repository.js';
import { RepositoryLock } from './repository/repository-lock.js';

/** restic's `forget` policy: each rule keeps the newest snapshot of its last N periods (UTC); a snapshot any rule keeps stays. */
export interface RetentionPolicy {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
}

export interface KeptSnapshot {
  snapshot: Snapshot;
  /**
   * Which rules keep it: `last`, `daily`, `weekly`, `monthly`; `retention` or `legal_hold` when it
   * is kept because it holds the last copy of a document under retention or legal hold.
   */
  reasons: string[];
}

/**
 * Keeps, besides the policy's snapshots, the newest snapshot holding each protected blob that no
 * kept snapshot holds: a restorable copy of every document under retention or legal hold stays in
 * the repository (docs/retention.md). `protectedBlobs`: blob name → why.
 */
export function keepProtected(plan: { keep: KeptSnapshot[]; remove: Snapshot[] }, protectedBlobs: ReadonlyMap<string, string>): { keep: KeptSnapshot[]; remove: Snapshot[] } {
  if (protectedBlobs.size === 0) return plan;
  const held = new Set<string>();
  for (const { snapshot } of plan.keep) for (const [name] of snapshot.blobs) if (protectedBlobs.has(name)) held.add(name);
  const extra = new Map<string, Set<string>>();
  // `remove` is newest first: the first snapshot holding a blob is the newest one.
  for (const snapshot of plan.remove) {
    for (const [name] of snapshot.blobs) {
      const why = protectedBlobs.get(name);
      if (why === undefined || held.has(name)) continue;
      held.add(name);
      extra.set(snapshot.id, (extra.get(snapshot.id) ?? new Set()).add(why));
    }
  }
  if (extra.size === 0) return plan;
  const keep = [...plan.keep, ...plan.remove.filter((snapshot) => extra.has(snapshot.id)).map((snapshot) => ({ snapshot, reasons: [...(extra.get(snapshot.id) ?? [])] }))];
  keep.sort((a, b) => b.snapshot.time.localeCompare(a.snapshot.time) || b.snapshot.id.localeCompare(a.snapshot.id));
  return { keep, remove: plan.remove.filter((snapshot) => !extra.has(snapshot.id)) };
}

/** Splits snapshots into kept (with the rules keeping them) and removed, newest first. */
export function applyPolicy(snapshots: readonly Snapshot[], policy: RetentionPolicy): { keep: KeptSnapshot[]; remove: Snapshot[] } {
  const rules: Array<[string, number | undefined, (time: Date) => string]> = [
    ['last', policy.keepLast, (time) => time.toISOString()],
    ['daily', policy.keepDaily, (time) => time.toISOString().slice(0, 10)],
    ['weekly', policy.keepWeekly, isoWeek],
    ['monthly', policy.keepMonthly, (time) => time.toISOString().slice(0, 7)],
  ];
  if (rules.every(([, count]) => count === undefined || count === 0)) {
    throw BackupError.usage('give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly (with a count above 0): forget never removes every snapshot');
  }
  const newestFirst = [...snapshots].sort((a, b) => b.time.localeCompare(a.time) || b.id.localeCompare(a.id));
  const reasons = new Map<string, string[]>();
  for (const [rule, count, period] of rules) {
    if (count === undefined || count === 0) continue;
    const seen = new Set<string>();
    for (const snapshot of newestFirst) {
      const bucket = rule === 'last' ? snapshot.id : period(new Date(snapshot.time));
      if (seen.has(bucket)) continue;
      if (seen.size >= count) break;
      seen.add(bucket);
      reasons.set(snapshot.id, [...(reasons.get(snapshot.id) ?? []), rule]);
    }
  }
  return {
    keep: newestFirst.filter((snapshot) => reasons.has(snapshot.id)).map((snapshot) => ({ snapshot, reasons: reasons.get(snapshot.id) ?? [] })),
    remove: newestFirst.filter((snapshot) => !reasons.has(snapshot.id)),
  };
}

export interface ForgetResult {
  keep: KeptSnapshot[];
  removed: Snapshot[];
  /** With `prune`: blobs no remaining snapshot references, deleted (or, with `dryRun`, that would be). */
  pruned?: { blobs: number; bytes: number; failed: number };
  dryRun: boolean;
}

/**
 * Removes the snapshots the policy does not keep and, with `prune`, every blob no remaining snapshot
 * references, under the repository's exclusive lock (a running backup holds a shared one, so its
 * freshly uploaded blobs are never pruned). Snapshots go first: a prune interrupted half-way leaves
 * unreferenced blobs (removed by the next prune), never a snapshot missing a blob.
 */
export async function forgetSnapshots(
  repository: BackupRepository,
  policy: RetentionPolicy,
  options: { prune?: boolean; dryRun?: boolean; now?: () => Date; protectedBlobs?: ReadonlyMap<string, string> } = {},
): Promise<ForgetResult> {
  const dryRun = options.dryRun === true;
  const lock = dryRun ? undefined : await RepositoryLock.acquire(repository.storage, 'exclusive', options.now);
  try {
    const { keep, remove } = keepProtected(applyPolicy(await repository.snapshots(), policy), options.protectedBlobs ?? new Map());
    if (!dryRun) for (const snapshot of remove) await repository.deleteSnapshot(snapshot.id);
    if (options.prune !== true) return { keep, removed: remove, dryRun };
    const referenced = new Set<string>();
    for (const { snapshot } of keep) for (const [name] of snapshot.blobs) referenced.add(name);
    // Re-read the snapshots actually present (not only those the policy kept) when changing anything.
    if (!dryRun) for (const snapshot of await repository.snapshots()) for (const [name] of snapshot.blobs) referenced.add(name);
    let batch: string[] = [];
    const pruned = { blobs: 0, bytes: 0, failed: 0 };
    const flush = async () => {
      if (batch.length === 0 || dryRun) return;
      const result = await repository.deleteBlobs(batch);
      pruned.failed += result.failed.length;
      batch = [];
    };
    for await (const blob of repository.blobs()) {
      if (referenced.has(blob.name)) continue;
      pruned.blobs++;
      pruned.bytes += blob.size;
      batch.push(blob.name);
      if (batch.length >= 1000) await flush();
    }
    await flush();
    return { keep, removed: remove, pruned, dryRun };
  } finally {
    await lock?.release();
  }
}

function isoWeek(time: Date): string {
  const day = new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
