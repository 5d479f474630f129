import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../../src/idempotency/idempotency-store.js';
import type { Principal } from '../../src/shared/principal.js';
import { COMPLETION_LEASE_SECONDS, ResumableUploadCompletions, type CompletionClaim } from '../../src/uploads/resumable-upload-completions.js';
import { DIALECTS, openTwoInstances, type TwoInstances } from '../support/databases.js';

const principal: Principal = { userId: 'syndic-1', organizationId: 'org-tus-lease', role: 'syndic', buildingIds: [] };
const T0 = new Date('2026-12-05T12:00:00Z').getTime();

/** One instance's completions, on its own database handle, with a clock the test moves. */
function instance(db: TwoInstances['db']) {
  const clock = { at: T0 };
  const store = new IdempotencyStore(db, { now: () => new Date(clock.at) });
  return { clock, store, completions: new ResumableUploadCompletions(db, store) };
}

function reservationOf(claim: CompletionClaim) {
  if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
  return claim.reservation;
}

for (const [dialect, open] of DIALECTS) {
  describe(`a resumable upload's completion lease on ${dialect}`, () => {
    let test: TwoInstances;
    beforeAll(async () => {
      test = await openTwoInstances(open);
    });
    afterAll(async () => test?.close());

    it('an instance that dies mid-completion holds the upload for the lease only (60 s, not 15 min): then another completes it, and the dead one can no longer record', async () => {
      const crashed = instance(test.db);
      const other = instance(test.second);
      const held = reservationOf(await crashed.completions.claim(principal, 'a'.repeat(32)));
      // The instance dies here: no renewal, no release (its timer stopped as a dead process's would be).
      crashed.completions.settled(held);
      other.clock.at = T0 + (COMPLETION_LEASE_SECONDS - 1) * 1000;
      await expect(other.completions.claim(principal, 'a'.repeat(32))).rejects.toMatchObject({ code: 'idempotency.in_progress' });
      other.clock.at = T0 + (COMPLETION_LEASE_SECONDS + 1) * 1000;
      const taken = reservationOf(await other.completions.claim(principal, 'a'.repeat(32)));
      // Had the first instance only stalled, its record now fails: one document at most.
      await expect(test.db.transaction().execute((trx) => crashed.completions.record(trx, held, { documentId: 'd-1', version: 1, length: 10 }))).rejects.toMatchObject({ code: 'idempotency.in_progress' });
      await test.second.transaction().execute((trx) => other.completions.record(trx, taken, { documentId: 'd-2', version: 1, length: 10 }));
      other.completions.settled(taken);
      expect(await other.completions.of(principal, 'a'.repeat(32))).toEqual({ documentId: 'd-2', version: 1, length: 10 });
    });

    it('a completion still running renews its lease: the upload stays its own past the first lease', async () => {
      const running = instance(test.db);
      const other = instance(test.second);
      const held = reservationOf(await running.completions.claim(principal, 'b'.repeat(32)));
      running.clock.at = T0 + 50_000;
      expect(await running.store.renew(held, COMPLETION_LEASE_SECONDS)).toBe(true);
      other.clock.at = T0 + (COMPLETION_LEASE_SECONDS + 1) * 1000;
      await expect(other.completions.claim(principal, 'b'.repeat(32))).rejects.toMatchObject({ code: 'idempotency.in_progress' });
      await running.completions.release(held);
      expect(await running.store.renew(held, COMPLETION_LEASE_SECONDS)).toBe(false);
      other.completions.settled(reservationOf(await other.completions.claim(principal, 'b'.repeat(32))));
    });
  });
}
