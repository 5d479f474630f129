import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryHash, GENESIS_HASH } from '../../src/audit/audit-chain.js';
import { systemActor } from '../../src/audit/audit-entry.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { AuditSealer } from '../../src/audit/audit-sealer.js';
import type { Database } from '../../src/db/database.js';
import { DIALECTS, openTwoInstances, type TwoInstances } from '../support/databases.js';

const ORG = 'org-chain-a';
const OTHER = 'org-chain-b';

for (const [dialect, open] of DIALECTS) {
  describe(`audit chain on ${dialect}`, () => {
    let test: TwoInstances;
    let second: Kysely<Database>;

    beforeAll(async () => {
      test = await openTwoInstances(open);
      second = test.second;
    });
    afterAll(async () => test?.close());

    async function chain(db: Kysely<Database>, organizationId: string) {
      return db.selectFrom('audit_entries').selectAll().where('organization_id', '=', organizationId).orderBy('chain_seq').execute();
    }

    it('records inside the caller’s transaction: a rolled-back change leaves no entry', async () => {
      const log = new AuditLog();
      await expect(
        test.db.transaction().execute(async (trx) => {
          await log.record(trx, { action: 'document.delete', actor: systemActor('test'), organizationId: 'org-rollback', documentId: 'd-1' });
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect(await chain(test.db, 'org-rollback')).toEqual([]);
    });

    it('stays one linear chain per organisation when two instances record and seal at once', async () => {
      const logs = [new AuditLog(), new AuditLog()];
      const sealers = [new AuditSealer(test.db, { batchSize: 7 }), new AuditSealer(second, { batchSize: 7 })];
      const databases = [test.db, second];
      const writes = Array.from({ length: 120 }, (_, index) => {
        const which = index % 2;
        const db = databases[which]!;
        return db.transaction().execute(async (trx) => {
          await logs[which]!.record(trx, {
            action: 'document.download',
            actor: { kind: 'user', subject: `user-${index}`, role: 'owner', clientAddress: '127.0.0.1' },
            organizationId: index % 3 === 0 ? OTHER : ORG,
            buildingId: 'b-1',
            documentId: `d-${index}`,
            details: { index },
          });
        });
      });
      // Sealing runs while entries are still being written, on both instances.
      const sealing = [sealers[0]!.seal(), sealers[1]!.seal()];
      await Promise.all([...writes, ...sealing]);
      await Promise.all([sealers[0]!.seal(), sealers[1]!.seal()]);

      const all = [...(await chain(test.db, ORG)), ...(await chain(test.db, OTHER))];
      expect(all).toHaveLength(120);
      for (const organizationId of [ORG, OTHER]) {
        const rows = await chain(test.db, organizationId);
        let previous = GENESIS_HASH;
        rows.forEach((row, index) => {
          expect(Number(row.chain_seq)).toBe(index + 1);
          expect(row.previous_hash).toBe(previous);
          expect(row.entry_hash).toBe(entryHash(row, index + 1, previous));
          previous = row.entry_hash!;
        });
        const head = await test.db.selectFrom('audit_chain_heads').selectAll().where('organization_id', '=', organizationId).executeTakeFirstOrThrow();
        expect(Number(head.seq)).toBe(rows.length);
        expect(head.hash).toBe(previous);
      }
    });

    it('nudges seal soon after recording, without anyone calling seal', async () => {
      const sealer = new AuditSealer(test.db, { nudgeDelayMs: 5 });
      const log = new AuditLog({ sealer });
      const entry = await log.record(test.db, { action: 'keys.rotate', actor: systemActor('test'), organizationId: 'org-nudge' });
      expect(entry.chainSeq).toBeNull();
      await expect.poll(async () => (await chain(test.db, 'org-nudge'))[0]?.chain_seq, { timeout: 5000 }).not.toBeNull();
      await sealer.stop();
    });
  });
}
