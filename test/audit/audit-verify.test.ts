import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryHash } from '../../src/audit/audit-chain.js';
import { AuditCheckpointer } from '../../src/audit/evidence/audit-checkpointer.js';
import { systemActor } from '../../src/audit/audit-entry.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { AuditSealer } from '../../src/audit/audit-sealer.js';
import { verifyAuditTrail, type AuditVerifyOptions } from '../../src/audit/evidence/audit-verifier.js';
import { CheckpointKey } from '../../src/audit/evidence/checkpoint-key.js';
import type { AuditEntryRow } from '../../src/audit/audit.table.js';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { DIALECTS, type TestDatabase } from '../support/databases.js';

/** Fields an entry's hash covers apart from its position and link: what a swap of contents moves. */
const CONTENT = ['at', 'actor_kind', 'actor_subject', 'actor_role', 'action', 'outcome', 'building_id', 'document_id', 'version', 'request_id', 'client_address', 'user_agent', 'details'] as const;

for (const [dialect, open] of DIALECTS) {
  describe(`audit verify on ${dialect}: edits made directly in the database`, () => {
    let test: TestDatabase;
    let db: Kysely<Database>;
    let keyDir: string;
    let key: CheckpointKey;
    let sealer: AuditSealer;
    let checkpointer: AuditCheckpointer;
    const log = new AuditLog();

    beforeAll(async () => {
      test = await open();
      db = test.db;
      await migrateToLatest(db);
      keyDir = await mkdtemp(join(tmpdir(), 'docstore-audit-key-'));
      key = await CheckpointKey.loadOrCreate(join(keyDir, 'audit', 'checkpoint-key.pem'));
      sealer = new AuditSealer(db);
      checkpointer = new AuditCheckpointer(db, sealer, async () => key);
    });
    afterAll(async () => {
      await db?.destroy();
      await test?.cleanup();
      await rm(keyDir, { recursive: true, force: true });
    });

    /** A chain of `count` sealed entries for a fresh organisation, checkpointed after `checkpointAt` entries (and at the end). */
    async function chainOf(count: number, checkpointAt: number[] = []): Promise<string> {
      const organizationId = randomUUID();
      for (let index = 1; index <= count; index++) {
        await log.record(db, {
          action: 'document.download',
          actor: { kind: 'user', subject: `user-${index}`, role: 'owner', clientAddress: '192.0.2.7', userAgent: 'test' },
          organizationId,
          buildingId: 'b-1',
          documentId: `d-${index}`,
          details: { index },
        });
        if (checkpointAt.includes(index)) await checkpointer.checkpoint();
      }
      await checkpointer.checkpoint();
      return organizationId;
    }

    const rows = (organizationId: string): Promise<AuditEntryRow[]> => db.selectFrom('audit_entries').selectAll().where('organization_id', '=', organizationId).orderBy('chain_seq').execute();
    const entryAt = async (organizationId: string, seq: number) => (await rows(organizationId)).find((row) => Number(row.chain_seq) === seq)!;
    const verify = (organizationId: string, options: Partial<AuditVerifyOptions> = {}) => verifyAuditTrail(db, { organizationId, trustedKeys: [key.publicKey], sealer, pageSize: 3, ...options });

    /** Recomputes every hash from `fromSeq` on and moves the head, as someone covering an edit would. */
    async function rehash(organizationId: string, fromSeq: number): Promise<void> {
      let previous = (await entryAt(organizationId, fromSeq - 1))?.entry_hash;
      for (const row of await rows(organizationId)) {
        const seq = Number(row.chain_seq);
        if (seq < fromSeq) continue;
        const hash = entryHash(row, seq, previous!);
        await db.updateTable('audit_entries').set({ previous_hash: previous!, entry_hash: hash }).where('id', '=', row.id).execute();
        previous = hash;
      }
      const last = await rows(organizationId);
      await db.updateTable('audit_chain_heads').set({ seq: Number(last.at(-1)!.chain_seq), hash: previous! }).where('organization_id', '=', organizationId).execute();
    }

    it('an untouched chain holds, its checkpoints verified (read in pages of 3)', async () => {
      const organizationId = await chainOf(8, [4]);
      const report = await verify(organizationId);
      expect(report.ok).toBe(true);
      expect(report.chains).toEqual([expect.objectContaining({ organizationId, entries: 8, lastSeq: 8, checkpoints: 2, firstBroken: null, problemCount: 0 })]);
    });

    it('a field updated: that entry is named', async () => {
      const organizationId = await chainOf(8);
      const target = await entryAt(organizationId, 4);
      await db.updateTable('audit_entries').set({ client_address: '203.0.113.9' }).where('id', '=', target.id).execute();
      const { chains, ok } = await verify(organizationId);
      expect(ok).toBe(false);
      expect(chains[0]!.firstBroken).toMatchObject({ seq: 4, entryId: Number(target.id), kind: 'altered' });
      expect(chains[0]!.problemCount).toBe(1);
    });

    it('a row deleted: its seq is named as removed', async () => {
      const organizationId = await chainOf(8);
      await db.deleteFrom('audit_entries').where('id', '=', (await entryAt(organizationId, 3)).id).execute();
      const { chains } = await verify(organizationId);
      expect(chains[0]!.firstBroken).toMatchObject({ seq: 3, entryId: null, kind: 'removed' });
    });

    it("two rows' contents swapped: the earlier is named first, the later next", async () => {
      const organizationId = await chainOf(8);
      const [second, fifth] = [await entryAt(organizationId, 2), await entryAt(organizationId, 5)];
      const contentOf = (row: AuditEntryRow) => Object.fromEntries(CONTENT.map((column) => [column, column === 'at' ? new Date(row.at).toISOString() : row[column]]));
      await db.updateTable('audit_entries').set(contentOf(fifth)).where('id', '=', second.id).execute();
      await db.updateTable('audit_entries').set(contentOf(second)).where('id', '=', fifth.id).execute();
      const { chains } = await verify(organizationId);
      expect(chains[0]!.firstBroken).toMatchObject({ seq: 2, entryId: Number(second.id), kind: 'altered' });
      expect(chains[0]!.problems.map((problem) => [problem.seq, problem.kind])).toEqual([
        [2, 'altered'],
        [5, 'altered'],
      ]);
    });

    it('a row inserted with a forged seq and a hash of its own: the entry it displaced is named', async () => {
      const organizationId = await chainOf(6);
      // Make room at seq 4 (highest first, so the unique index on (organisation, seq) never trips), then forge it.
      for (const row of (await rows(organizationId)).reverse()) {
        if (Number(row.chain_seq) >= 4) await db.updateTable('audit_entries').set({ chain_seq: Number(row.chain_seq) + 1 }).where('id', '=', row.id).execute();
      }
      const third = await entryAt(organizationId, 3);
      const forged = { ...third, id: 900_000 + Math.floor(Math.random() * 90_000), actor_subject: 'nobody', document_id: 'd-forged' };
      const { id: _id, ...values } = { ...forged, chain_seq: 4, previous_hash: third.entry_hash, entry_hash: entryHash(forged, 4, third.entry_hash!) };
      await db.insertInto('audit_entries').values({ id: forged.id, ...values, at: new Date(values.at).toISOString() }).execute();
      const { chains } = await verify(organizationId);
      expect(chains[0]!.firstBroken).toMatchObject({ seq: 5, kind: 'altered' });
      expect(chains[0]!.problems.at(-1)).toMatchObject({ kind: 'beyond_head' });
    });

    it('an entry appended behind the sealer (hash recomputed, head left) is named beyond the head', async () => {
      const organizationId = await chainOf(5);
      const last = await entryAt(organizationId, 5);
      const forged = { ...last, id: 800_000 + Math.floor(Math.random() * 90_000), actor_subject: 'nobody' };
      const { id: _id, ...values } = { ...forged, chain_seq: 6, previous_hash: last.entry_hash, entry_hash: entryHash(forged, 6, last.entry_hash!) };
      await db.insertInto('audit_entries').values({ id: forged.id, ...values, at: new Date(values.at).toISOString() }).execute();
      const { chains } = await verify(organizationId);
      expect(chains[0]!.firstBroken).toMatchObject({ seq: 6, kind: 'beyond_head' });
    });

    it('a tail rewritten with recomputed hashes after a checkpoint is caught by the checkpoint, bounded by the one before', async () => {
      const organizationId = await chainOf(8, [4]);
      const sixth = await entryAt(organizationId, 6);
      await db.updateTable('audit_entries').set({ actor_subject: 'someone-else' }).where('id', '=', sixth.id).execute();
      await rehash(organizationId, 6);
      const { chains } = await verify(organizationId);
      expect(chains[0]!.firstBroken).toMatchObject({ seq: 8, kind: 'checkpoint_mismatch', checkpoint: { source: 'database' } });
      expect(chains[0]!.firstBroken!.message).toContain('entries after 4 up to 8 were rewritten');
      expect(chains[0]!.problemCount).toBe(1);
    });

    it('a tail removed with the head moved back is caught by the checkpoint', async () => {
      const organizationId = await chainOf(6);
      await db.deleteFrom('audit_entries').where('organization_id', '=', organizationId).where('chain_seq', '>', 4).execute();
      const fourth = await entryAt(organizationId, 4);
      await db.updateTable('audit_chain_heads').set({ seq: 4, hash: fourth.entry_hash! }).where('organization_id', '=', organizationId).execute();
      const { chains } = await verify(organizationId);
      expect(chains[0]!.firstBroken).toMatchObject({ seq: 6, kind: 'truncated' });
    });

    it('a checkpoint edited to agree with a rewrite fails its signature; one of an unknown key is reported', async () => {
      const organizationId = await chainOf(4);
      await db.updateTable('audit_entries').set({ action: 'document.preview' }).where('id', '=', (await entryAt(organizationId, 2)).id).execute();
      await rehash(organizationId, 2);
      const head = await entryAt(organizationId, 4);
      await db.updateTable('audit_checkpoints').set({ hash: head.entry_hash! }).where('organization_id', '=', organizationId).execute();
      const forged = await verify(organizationId);
      expect(forged.chains[0]!.firstBroken).toMatchObject({ seq: 4, kind: 'checkpoint_forged' });

      const other = await chainOf(2);
      const unknown = await verify(other, { trustedKeys: [] });
      expect(unknown.chains[0]!.firstBroken).toMatchObject({ seq: 2, kind: 'checkpoint_unknown_key' });
    });

    it('finds nothing wrong while entries are recorded, sealed and checkpointed during the walk', async () => {
      const organizationId = await chainOf(3);
      const liveSealer = new AuditSealer(db, { nudgeDelayMs: 1, batchSize: 5 });
      const liveLog = new AuditLog({ sealer: liveSealer });
      const live = new AuditCheckpointer(db, liveSealer, async () => key);
      const errors: unknown[] = [];
      live.start(5, (error) => errors.push(error));
      let writing = true;
      const writer = (async () => {
        for (let index = 0; index < 150; index++) await liveLog.record(db, { action: 'document.preview', actor: systemActor('live'), organizationId, details: { index } });
        writing = false;
      })();
      const reports = [];
      while (writing) reports.push(await verifyAuditTrail(db, { organizationId, trustedKeys: [key.publicKey], pageSize: 7 }));
      await writer;
      await live.stop();
      await liveSealer.stop();
      reports.push(await verify(organizationId));
      expect(errors).toEqual([]);
      for (const report of reports) expect(report.chains[0]!.problems).toEqual([]);
      expect(reports.at(-1)).toMatchObject({ ok: true, entries: 153 });
    });

    it('seals before walking: entries recorded but not yet linked are verified too', async () => {
      const organizationId = await chainOf(2);
      await log.record(db, { action: 'keys.rotate', actor: systemActor('test'), organizationId });
      const report = await verify(organizationId);
      expect(report).toMatchObject({ ok: true, entries: 3 });
    });

    it('the key file is created once, mode 0600, and read back with the same id', async () => {
      const path = join(keyDir, 'audit', 'checkpoint-key.pem');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await CheckpointKey.loadOrCreate(path)).keyId).toBe(key.keyId);
    });
  });
}
