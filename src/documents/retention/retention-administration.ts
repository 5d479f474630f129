import type { Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Principal } from '../../shared/principal.js';
import { AuthError } from '../../auth/auth-errors.js';
import type { Database } from '../../db/database.js';
import { DOCUMENT_TYPES, type DocumentType, type LegalHold } from '../../shared/document.js';
import { canSeeBuilding, canSeeOrganization } from '../document-authorization.js';
import { DocumentError } from '../document-errors.js';
import * as documents from '../document-repository.js';
import type { DocumentProtection, Protection } from './document-protection.js';
import * as repository from './retention-repository.js';
import { DEFAULT_RETENTION, formatPeriod, isAtLeastAsLong, parsePeriod, type Retention } from './retention-rules.js';
import type { LegalHoldRow, RetentionChangeRow } from './retention.table.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { actorOf } from '../../audit/audit-entry.js';
import type { FieldChange } from '../../audit/audit-changes.js';

// The shape the API answers with lives in src/shared: the console reads it too.
export type { LegalHold } from '../../shared/document.js';

export interface HoldState {
  held: boolean;
  /** The active hold, or the one just released. */
  hold: LegalHold | null;
}

/** A change of a retention, with its reason. */
export interface RetentionChange {
  id: string;
  documentId: string | null;
  documentType: string | null;
  previous: string;
  next: string;
  reason: string;
  changedBy: string;
  changedAt: string;
}

export interface PolicyEntry {
  type: DocumentType;
  /** `10` (years), `permanent` or `none`. */
  period: string;
  /** Which layer decided it: docstore's default, the service's `DOCSTORE_RETENTION`, or the organisation's policy. */
  source: 'default' | 'service' | 'organization';
}

export interface OrganizationRetention {
  organizationId: string;
  periods: PolicyEntry[];
  changes: RetentionChange[];
}

export interface DocumentRetentionView {
  documentId: string;
  retainUntil: string | null;
  permanent: boolean;
  active: boolean;
  basis: Retention['basis'];
  legalHold: 'document' | 'building' | null;
  changes: RetentionChange[];
}

/**
 * Who may change what, around retention and holds:
 * - organisation policies: read by the organisation's syndics, accountants and superadmins, set by superadmins;
 * - a document's retention date: lengthened by syndics, shortened only by superadmins; always with a reason;
 * - legal holds: placed, released and listed by syndics and superadmins, with a reason each way.
 * Every change is recorded (`retention_changes`, `legal_holds`) and passed to the protection's
 * listener (Object Lock).
 */
export class RetentionAdministration {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly protection: DocumentProtection,
    private readonly now: () => Date,
    private readonly audit: AuditLog,
  ) {}

  async organizationRetention(principal: Principal, organizationId: string): Promise<OrganizationRetention> {
    if (!canSeeOrganization(principal, organizationId)) throw DocumentError.notFound('Organization', organizationId);
    if (principal.role !== 'superadmin' && principal.role !== 'syndic' && principal.role !== 'accountant') throw AuthError.forbidden('reading retention policies');
    return this.describeOrganization(organizationId);
  }

  /**
   * Sets an organisation's periods (`null`: back to the service's), with a reason; superadmins
   * only. A type left out is unchanged.
   */
  async setOrganizationRetention(principal: Principal, organizationId: string, input: { periods: Partial<Record<DocumentType, string | null>>; reason: string }): Promise<OrganizationRetention> {
    if (principal.role !== 'superadmin') throw AuthError.forbidden('changing retention policies (superadmins only)');
    const reason = requireReason(input.reason);
    const current = (await repository.policies(this.db, [organizationId])).get(organizationId) ?? new Map<string, string>();
    const at = this.now().toISOString();
    const changedTypes: DocumentType[] = [];
    const changes: Record<string, FieldChange> = {};
    await this.db.transaction().execute(async (trx) => {
      for (const [type, value] of Object.entries(input.periods) as Array<[DocumentType, string | null]>) {
        if (!(DOCUMENT_TYPES as readonly string[]).includes(type)) throw DocumentError.invalid(`periods.${type}`, 'not a document type');
        let next: string | null = null;
        if (value !== null) {
          try {
            next = formatPeriod(parsePeriod(value));
          } catch (error) {
            if (error instanceof RangeError) throw DocumentError.invalid(`periods.${type}`, error.message);
            throw error;
          }
        }
        const previous = current.get(type) ?? null;
        if (previous === next) continue;
        await repository.savePolicy(trx, { organizationId, type, period: next, by: principal.userId, at });
        await repository.insertChange(trx, {
          id: uuidv7(),
          organization_id: organizationId,
          document_id: null,
          document_type: type,
          previous: previous ?? 'default',
          next: next ?? 'default',
          reason,
          changed_by: principal.userId,
          changed_at: at,
        });
        changedTypes.push(type);
        changes[type] = { from: previous ?? 'default', to: next ?? 'default' };
      }
      if (changedTypes.length > 0) {
        await this.audit.record(trx, { action: 'retention.policy_change', actor: actorOf(principal), organizationId, details: { changes, reason } });
      }
    });
    for await (const ids of repository.organizationDocumentIds(this.db, organizationId, changedTypes)) await this.protection.changed(ids);
    return this.describeOrganization(organizationId);
  }

  async documentRetention(principal: Principal, documentId: string): Promise<DocumentRetentionView> {
    await this.visibleDocument(principal, documentId);
    return this.describeDocument(documentId);
  }

  /**
   * Sets a document's retention date (`null`: back to the computed one), with a reason. A date that
   * keeps the document less long than now (permanence lifted included) needs a superadmin.
   */
  async setDocumentRetention(principal: Principal, documentId: string, input: { retainUntil: string | null; reason: string }): Promise<DocumentRetentionView> {
    const row = await this.visibleDocument(principal, documentId);
    assertHoldManager(principal, 'changing a retention');
    const reason = requireReason(input.reason);
    const before = await this.protectionOf(documentId);
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await repository.setRetentionOverride(trx, documentId, input.retainUntil, at);
      const after = (await this.protection.withDatabase(trx).protections([documentId])).get(documentId);
      if (after === undefined) throw DocumentError.notFound('Document', documentId);
      if (!isAtLeastAsLong(after.retention, before.retention) && principal.role !== 'superadmin') {
        throw AuthError.forbidden('shortening a retention (superadmins only, with a reason)');
      }
      const change = {
        id: uuidv7(),
        organization_id: row.organization_id,
        document_id: documentId,
        document_type: null,
        previous: describeRetention(before.retention),
        next: input.retainUntil === null ? `computed:${describeRetention(after.retention)}` : input.retainUntil,
        reason,
        changed_by: principal.userId,
        changed_at: at,
      };
      await repository.insertChange(trx, change);
      await this.audit.record(trx, {
        action: 'retention.change',
        actor: actorOf(principal),
        organizationId: row.organization_id,
        buildingId: row.building_id,
        documentId,
        details: { changes: { retention: { from: change.previous, to: change.next } }, reason },
      });
    });
    await this.protection.changed([documentId]);
    return this.describeDocument(documentId);
  }

  /** Places (`held`) or releases a hold on one document, with a reason each way. */
  async setDocumentHold(principal: Principal, documentId: string, input: { held: boolean; reason: string }): Promise<HoldState> {
    const row = await this.visibleDocument(principal, documentId);
    assertHoldManager(principal, 'legal holds');
    const state = await this.setHold(principal, row.organization_id, row.building_id, documentId, input);
    await this.protection.changed([documentId]);
    return state;
  }

  /** Places or releases a hold on a whole building: every document of it, present and future. */
  async setBuildingHold(principal: Principal, buildingId: string, input: { held: boolean; reason: string }): Promise<HoldState> {
    const organizationId = await this.visibleBuilding(principal, buildingId);
    assertHoldManager(principal, 'legal holds');
    const state = await this.setHold(principal, organizationId, buildingId, null, input);
    for await (const ids of repository.buildingDocumentIds(this.db, buildingId)) await this.protection.changed(ids);
    return state;
  }

  /** The building's holds and its documents', active and released, newest first. */
  async buildingHolds(principal: Principal, buildingId: string): Promise<LegalHold[]> {
    await this.visibleBuilding(principal, buildingId);
    assertHoldManager(principal, 'legal holds');
    return (await repository.buildingHolds(this.db, buildingId)).map(toLegalHold);
  }

  private async setHold(principal: Principal, organizationId: string, buildingId: string, documentId: string | null, input: { held: boolean; reason: string }): Promise<HoldState> {
    const reason = requireReason(input.reason);
    const at = this.now().toISOString();
    // Recorded only when the hold changes (placing an active hold again, releasing none, changes nothing).
    const record = (trx: Kysely<Database>, action: 'legal_hold.place' | 'legal_hold.release', holdId: string) =>
      this.audit.record(trx, { action, actor: actorOf(principal), organizationId, buildingId, documentId, details: { holdId, scope: documentId === null ? 'building' : 'document', reason } });
    return this.db.transaction().execute(async (trx) => {
      const active = await repository.activeHold(trx, buildingId, documentId);
      if (input.held) {
        if (active !== undefined) return { held: true, hold: toLegalHold(active) };
        const hold = { id: uuidv7(), organization_id: organizationId, building_id: buildingId, document_id: documentId, reason, placed_by: principal.userId, placed_at: at, released_by: null, released_at: null, release_reason: null };
        await repository.insertHold(trx, hold);
        await record(trx, 'legal_hold.place', hold.id);
        return { held: true, hold: toLegalHold(hold) };
      }
      if (active === undefined) return { held: false, hold: null };
      await repository.releaseHold(trx, active.id, { by: principal.userId, at, reason });
      await record(trx, 'legal_hold.release', active.id);
      return { held: false, hold: toLegalHold({ ...active, released_by: principal.userId, released_at: at, release_reason: reason }) };
    });
  }

  private async describeOrganization(organizationId: string): Promise<OrganizationRetention> {
    const own = (await repository.policies(this.db, [organizationId])).get(organizationId) ?? new Map<string, string>();
    const service = this.protection.serviceDefaults();
    const periods = DOCUMENT_TYPES.map((type): PolicyEntry => {
      const mine = own.get(type);
      if (mine !== undefined) return { type, period: mine, source: 'organization' };
      const period = formatPeriod(service[type]);
      return { type, period, source: period === formatPeriod(DEFAULT_RETENTION[type]) ? 'default' : 'service' };
    });
    const changes = await repository.changes(this.db, { organizationId, documentId: null, limit: 100 });
    return { organizationId, periods, changes: changes.map(toChange) };
  }

  private async describeDocument(documentId: string): Promise<DocumentRetentionView> {
    const protection = await this.protectionOf(documentId);
    const changes = await repository.changes(this.db, { organizationId: protection.organizationId, documentId, limit: 100 });
    return {
      documentId,
      retainUntil: protection.retention.retainUntil,
      permanent: protection.retention.permanent,
      active: protection.retained,
      basis: protection.retention.basis,
      legalHold: protection.legalHold,
      changes: changes.map(toChange),
    };
  }

  private async protectionOf(documentId: string): Promise<Protection> {
    const protection = (await this.protection.protections([documentId])).get(documentId);
    if (protection === undefined) throw DocumentError.notFound('Document', documentId);
    return protection;
  }

  /** The document (live or in the trash) when the caller may see it, else `documents.not_found`. */
  private async visibleDocument(principal: Principal, documentId: string) {
    const row = await documents.findDocument(this.db, documentId);
    if (row === undefined || !canSeeBuilding(principal, { id: row.building_id, organizationId: row.organization_id })) throw DocumentError.notFound('Document', documentId);
    return row;
  }

  private async visibleBuilding(principal: Principal, buildingId: string): Promise<string> {
    const organizationId = await repository.buildingOrganization(this.db, buildingId);
    if (organizationId === undefined || !canSeeBuilding(principal, { id: buildingId, organizationId })) throw DocumentError.notFound('Building', buildingId);
    return organizationId;
  }
}

function assertHoldManager(principal: Principal, what: string): void {
  if (principal.role !== 'superadmin' && principal.role !== 'syndic') throw AuthError.forbidden(what);
}

function requireReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed.length < 3) throw DocumentError.invalid('reason', 'write why (at least 3 characters): it is kept with the change');
  return trimmed;
}

function describeRetention(retention: Retention): string {
  return retention.permanent ? 'permanent' : (retention.retainUntil ?? 'none');
}

function iso(value: string | Date | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

function toLegalHold(row: LegalHoldRow): LegalHold {
  return {
    id: row.id,
    buildingId: row.building_id,
    documentId: row.document_id,
    reason: row.reason,
    placedBy: row.placed_by,
    placedAt: new Date(row.placed_at).toISOString(),
    releasedBy: row.released_by,
    releasedAt: iso(row.released_at),
    releaseReason: row.release_reason,
  };
}

function toChange(row: RetentionChangeRow): RetentionChange {
  return {
    id: row.id,
    documentId: row.document_id,
    documentType: row.document_type,
    previous: row.previous,
    next: row.next,
    reason: row.reason,
    changedBy: row.changed_by,
    changedAt: new Date(row.changed_at).toISOString(),
  };
}
