import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { toSignedCheckpoint, type SignedCheckpoint } from './audit-checkpoint.js';
import type { AuditEntryRow } from '../audit.table.js';

/** Every chain the database knows of: organisations with entries, a head or a checkpoint. */
export async function chainIds(db: Kysely<Database>): Promise<string[]> {
  const rows = await db
    .selectFrom('audit_chain_heads')
    .select('organization_id')
    .union(db.selectFrom('audit_checkpoints').select('organization_id'))
    .union(db.selectFrom('audit_entries').select('organization_id').where('chain_seq', 'is not', null))
    .execute();
  return rows.map((row) => row.organization_id).sort();
}

/** Sealed entries of a chain after `afterSeq`, in chain order. */
export function sealedPage(db: Kysely<Database>, organizationId: string, afterSeq: number, limit: number): Promise<AuditEntryRow[]> {
  return db.selectFrom('audit_entries').selectAll().where('organization_id', '=', organizationId).where('chain_seq', '>', afterSeq).orderBy('chain_seq').limit(limit).execute();
}

export async function countSealed(db: Kysely<Database>, organizationId: string): Promise<number> {
  const row = await db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number | string>().as('count')).where('organization_id', '=', organizationId).where('chain_seq', 'is not', null).executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** Checkpoints of a chain after `afterSeq`, in order. */
export async function checkpointPage(db: Kysely<Database>, organizationId: string, afterSeq: number, limit: number): Promise<SignedCheckpoint[]> {
  const rows = await db.selectFrom('audit_checkpoints').selectAll().where('organization_id', '=', organizationId).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  return rows.map(toSignedCheckpoint);
}

export async function chainHead(db: Kysely<Database>, organizationId: string): Promise<{ seq: number; hash: string } | undefined> {
  const row = await db.selectFrom('audit_chain_heads').select(['seq', 'hash']).where('organization_id', '=', organizationId).executeTakeFirst();
  return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash };
}

/** Heads whose seq has no checkpoint yet (nothing to sign for a chain unchanged since its last one). */
export async function uncheckpointedHeads(db: Kysely<Database>): Promise<Array<{ organizationId: string; seq: number; hash: string }>> {
  const rows = await db
    .selectFrom('audit_chain_heads as head')
    .select(['head.organization_id', 'head.seq', 'head.hash'])
    .where('head.seq', '>', 0)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('audit_checkpoints as checkpoint').select(sql.lit(1).as('one')).whereRef('checkpoint.organization_id', '=', 'head.organization_id').whereRef('checkpoint.seq', '=', 'head.seq'))),
    )
    .execute();
  return rows.map((row) => ({ organizationId: row.organization_id, seq: Number(row.seq), hash: row.hash }));
}

/** Stores a checkpoint; one already there for the same chain and seq (another instance's) is kept. */
export async function insertCheckpoint(db: Kysely<Database>, checkpoint: SignedCheckpoint): Promise<void> {
  await db
    .insertInto('audit_checkpoints')
    .values({
      organization_id: checkpoint.organizationId,
      seq: checkpoint.seq,
      hash: checkpoint.hash,
      signed_at: checkpoint.signedAt,
      key_id: checkpoint.keyId,
      signature: checkpoint.signature,
    })
    .onConflict((conflict) => conflict.columns(['organization_id', 'seq']).doNothing())
    .execute();
}

/** The latest checkpoint of each chain (what a backup snapshot carries). */
export async function latestCheckpoints(db: Kysely<Database>): Promise<SignedCheckpoint[]> {
  const rows = await db
    .selectFrom('audit_checkpoints as checkpoint')
    .selectAll('checkpoint')
    .where(({ eb, selectFrom }) => eb('checkpoint.seq', '=', selectFrom('audit_checkpoints as later').select((inner) => inner.fn.max('later.seq').as('seq')).whereRef('later.organization_id', '=', 'checkpoint.organization_id')))
    .orderBy('checkpoint.organization_id')
    .execute();
  return rows.map(toSignedCheckpoint);
}
