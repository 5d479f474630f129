// The lists live in src/shared, which the console bundles too (its filters and translations name them).
export { ACTOR_KINDS, AUDIT_ACTIONS, AUDIT_OUTCOMES, type ActorKind, type AuditAction, type AuditOutcome } from '../shared/audit-entry.js';
