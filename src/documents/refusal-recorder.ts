import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import { actorOf } from '../audit/audit-entry.js';
import type { Database } from '../db/database.js';
import type { Principal } from '../shared/principal.js';
import { canSeeBuilding, canSeeOrganization } from './document-authorization.js';
import * as repository from './document-repository.js';

/** What a refused request was aimed at, as its route names it. */
export interface RefusalTarget {
  documentId?: string;
  buildingId?: string;
  organizationId?: string;
}

/**
 * Records refused attempts (`access.refused`, outcome `refused`) on resources that exist and that
 * the caller may see: a 403 on them says someone tried. A target that does not exist, or that the
 * caller may not see (it was answered 404 anyway), records nothing.
 */
export class RefusalRecorder {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
  ) {}

  /** Records the refusal when its target exists and is visible to the caller; whether it did. */
  async record(principal: Principal, target: RefusalTarget, details: Record<string, unknown>): Promise<boolean> {
    const scope = await this.scopeOf(principal, target);
    if (scope === undefined) return false;
    await this.audit.record(this.db, { action: 'access.refused', outcome: 'refused', actor: actorOf(principal), ...scope, details });
    return true;
  }

  private async scopeOf(principal: Principal, target: RefusalTarget): Promise<{ organizationId: string; buildingId?: string; documentId?: string } | undefined> {
    if (target.documentId !== undefined) {
      const row = await repository.findDocument(this.db, target.documentId);
      if (row === undefined || !canSeeBuilding(principal, { id: row.building_id, organizationId: row.organization_id })) return undefined;
      return { organizationId: row.organization_id, buildingId: row.building_id, documentId: row.id };
    }
    if (target.buildingId !== undefined) {
      const row = await repository.findBuilding(this.db, target.buildingId);
      if (row === undefined || !canSeeBuilding(principal, { id: row.id, organizationId: row.organization_id })) return undefined;
      return { organizationId: row.organization_id, buildingId: row.id };
    }
    if (target.organizationId !== undefined && canSeeOrganization(principal, target.organizationId)) return { organizationId: target.organizationId };
    return undefined;
  }
}
