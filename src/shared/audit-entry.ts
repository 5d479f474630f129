/**
 * The audit trail as the API shows it (the server's `src/audit/` and the console both use it).
 * What the audit trail records, one name per action (`docs/audit.md` lists when each is written).
 * Reads: `document.download` (whole or `details.range`), `document.preview` (inline), version reads
 * carry `version`. Signed links: `document.link_issue` when made, `document.link_use` when served.
 */
export const AUDIT_ACTIONS = [
  'document.upload',
  'document.version_add',
  'document.download',
  'document.preview',
  'document.link_issue',
  'document.link_use',
  'document.update',
  'document.delete',
  'document.restore',
  'document.purge',
  'document.damaged',
  'document.export',
  'document.search',
  'retention.change',
  'retention.policy_change',
  'legal_hold.place',
  'legal_hold.release',
  'building.create',
  'building.update',
  'building.export',
  'building.import',
  'access.refused',
  'audit.read',
  'audit.export',
  'backup.restore',
  'reconcile.fix',
  'keys.rotate',
  'keys.encrypt_existing',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** `success`; `refused` (403 on an existing resource, or a delete refused by retention/hold); `failed` (integrity). */
export const AUDIT_OUTCOMES = ['success', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Who acted: a token's holder through the API, an operator's CLI command, a signed link's bearer, or a job of the service. */
export const ACTOR_KINDS = ['user', 'cli', 'link', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** A recorded entry, as the API and the events outbox see it. */
export interface AuditEntry {
  id: number;
  organizationId: string;
  at: string;
  actor: { kind: ActorKind; subject: string | null; role: string | null };
  action: AuditAction;
  outcome: AuditOutcome;
  buildingId: string | null;
  documentId: string | null;
  version: number | null;
  requestId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
  /** Position in its organisation's chain; null until the sealer has linked it (within a second). */
  chainSeq: number | null;
  entryHash: string | null;
}

/** One page of `GET /api/v1/audit`, newest first; `nextCursor` continues it with the same filters. */
export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}
