import type { Principal } from '../shared/principal.js';
import type { ActorKind, AuditAction, AuditOutcome } from './audit-actions.js';

/** The chain of actions on the whole instance (backup restore, key rotation, reconcile), not of one organisation. */
export const INSTANCE_CHAIN = '*';

/** Who acted, as recorded. */
export interface AuditActor {
  kind: ActorKind;
  /** A token's `sub`, an operator's name, a job's name; none for a signed link's bearer. */
  subject: string | null;
  role: string | null;
  requestId?: string;
  clientAddress?: string;
  userAgent?: string;
}

/** One action to record (`AuditLog.record`). */
export interface AuditEntryInput {
  action: AuditAction;
  /** @default 'success' */
  outcome?: AuditOutcome;
  actor: AuditActor;
  /** The organisation whose chain takes the entry; `INSTANCE_CHAIN` for the instance's own actions. */
  organizationId: string;
  buildingId?: string | null;
  documentId?: string | null;
  version?: number | null;
  /** What changed (`changes: { field: { from, to } }`), a range, a reason, counts: JSON-serialisable. */
  details?: Record<string, unknown>;
}

export type { AuditEntry } from '../shared/audit-entry.js';

/** The actor behind a principal: a token holder through the API, or an operator through the CLI. */
export function actorOf(principal: Principal): AuditActor {
  const origin = principal.origin;
  return {
    kind: origin?.channel === 'cli' ? 'cli' : 'user',
    subject: principal.userId,
    role: principal.role,
    ...(origin?.requestId === undefined ? {} : { requestId: origin.requestId }),
    ...(origin?.clientAddress === undefined ? {} : { clientAddress: origin.clientAddress }),
    ...(origin?.userAgent === undefined ? {} : { userAgent: origin.userAgent }),
  };
}

/** A job of the service (purge, scrub, scheduled work), named. */
export function systemActor(job: string): AuditActor {
  return { kind: 'system', subject: job, role: null };
}

/** An operator's command run outside any token (`docstore backup restore`, `keys rotate`, `reconcile --fix`). */
export function operatorActor(command: string, user = process.env.USER ?? process.env.LOGNAME ?? null): AuditActor {
  return { kind: 'cli', subject: user, role: null, requestId: command };
}
