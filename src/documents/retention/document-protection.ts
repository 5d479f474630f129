import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Document, DocumentRetention, DocumentType, ProtectedDocument } from '../../shared/document.js';
import { dateInBrussels, type CalendarDate } from './calendar-date.js';
import { RetentionError } from './retention-errors.js';
import * as repository from './retention-repository.js';
import type { ProtectionInputRow } from './retention-repository.js';
import {
  DEFAULT_RETENTION,
  computeRetention,
  isRetained,
  parsePeriod,
  withOverrides,
  type Retention,
  type RetentionOverrides,
  type RetentionTable,
} from './retention-rules.js';

/** What protects one document from deletion today. */
export interface Protection {
  documentId: string;
  organizationId: string;
  buildingId: string;
  /** When the document was uploaded (a permanent document's Object Lock counts from it). */
  uploadedAt: Date;
  retention: Retention;
  /** Whether the retention forbids deleting today (`retainUntil` in the future, or permanent). */
  retained: boolean;
  /** The active legal hold that covers it: on the document itself, on its building, or none. */
  legalHold: 'document' | 'building' | null;
}

/**
 * Called after a document's retention or hold may have changed (a hold placed or released, a date
 * or type edited, a policy changed), with the documents' protection as it now is: where the
 * storage's own lock (S3 Object Lock, part 5 of issue 16) follows docstore's. Failures propagate
 * to the caller of the change.
 */
export type ProtectionListener = (protections: readonly Protection[]) => Promise<void>;

export interface DocumentProtectionOptions {
  /** `DOCSTORE_RETENTION`: the service's periods by type, over docstore's defaults. */
  serviceRetention?: RetentionOverrides;
  now: () => Date;
  onProtectionChanged?: ProtectionListener;
}

/**
 * Retention and legal hold of documents, computed when asked (never stored: a policy change
 * applies at once): the single guard every delete path calls (`assertDeletable`,
 * `protectedAmong`) and what the API shows (`annotate`).
 */
export class DocumentProtection {
  private readonly serviceTable: RetentionTable;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: DocumentProtectionOptions,
  ) {
    this.serviceTable = withOverrides(DEFAULT_RETENTION, options.serviceRetention ?? {});
  }

  /** The same rules reading through `db` (a transaction, to check a change before it commits). */
  withDatabase(db: Kysely<Database>): DocumentProtection {
    return new DocumentProtection(db, this.options);
  }

  /** Today in Belgium, by the injected clock. */
  today(): CalendarDate {
    return dateInBrussels(this.options.now());
  }

  /** The service's periods (defaults under `DOCSTORE_RETENTION`). */
  serviceDefaults(): RetentionTable {
    return this.serviceTable;
  }

  /** An organisation's periods: the service's, under its own policy. */
  async tableOf(organizationId: string): Promise<RetentionTable> {
    const byOrganization = await repository.policies(this.db, [organizationId]);
    return this.tableFrom(byOrganization.get(organizationId));
  }

  /** The protection of each existing document among `ids` (absent ids are left out). */
  async protections(ids: readonly string[]): Promise<Map<string, Protection>> {
    const unique = [...new Set(ids)];
    const result = new Map<string, Protection>();
    for (let start = 0; start < unique.length; start += 500) {
      for (const [id, protection] of await this.protectionsFrom(await repository.protectionInputs(this.db, unique.slice(start, start + 500)))) result.set(id, protection);
    }
    return result;
  }

  /** The protection of documents whose rows the caller holds (at most 500): their organisations' policies and the holds are read. */
  private async protectionsFrom(rows: readonly ProtectionInputRow[]): Promise<Map<string, Protection>> {
    const result = new Map<string, Protection>();
    if (rows.length === 0) return result;
    const organizations = await repository.policies(this.db, [...new Set(rows.map((row) => row.organization_id))]);
    const holds = await repository.activeHolds(this.db, { documentIds: rows.map((row) => row.id), buildingIds: [...new Set(rows.map((row) => row.building_id))] });
    const heldDocuments = new Set(holds.filter((hold) => hold.document_id !== null).map((hold) => hold.document_id));
    const heldBuildings = new Set(holds.filter((hold) => hold.document_id === null).map((hold) => hold.building_id));
    const today = this.today();
    for (const row of rows) {
      const uploadDate = dateInBrussels(new Date(row.created_at));
      const retention = computeRetention(
        {
          type: row.type as DocumentType,
          documentDate: row.document_date ?? uploadDate,
          contractEndDate: row.contract_end_date,
          uploadDate,
          retainUntilOverride: row.retain_until_override,
          financialYearEnd: { month: Number(row.financial_year_end_month), day: Number(row.financial_year_end_day) },
        },
        this.tableFrom(organizations.get(row.organization_id)),
      );
      result.set(row.id, {
        documentId: row.id,
        organizationId: row.organization_id,
        buildingId: row.building_id,
        uploadedAt: new Date(row.created_at),
        retention,
        retained: isRetained(retention, today),
        legalHold: heldDocuments.has(row.id) ? 'document' : heldBuildings.has(row.building_id) ? 'building' : null,
      });
    }
    return result;
  }

  /**
   * Throws `document.legal_hold_active` or `document.retention_active` (409) when the document
   * may not be deleted today — `what` says which action (`deleted`, `purged`, `replaced`…). The
   * single guard of every path that deletes a document, a version or an object of a document.
   */
  async assertDeletable(documentId: string, what = 'deleted'): Promise<void> {
    const protection = (await this.protections([documentId])).get(documentId);
    if (protection !== undefined) assertUnprotected(protection, what);
  }

  /** Which of these documents may not be deleted today, and why (maintenance: purge, reconcile, mirror, backup). */
  async protectedAmong(ids: readonly string[]): Promise<Map<string, Protection>> {
    const protections = await this.protections(ids);
    return new Map([...protections].filter(([, protection]) => protection.retained || protection.legalHold !== null));
  }

  /** Buildings among these under a building-wide hold. */
  heldBuildings(buildingIds: readonly string[]): Promise<Set<string>> {
    return repository.heldBuildings(this.db, [...new Set(buildingIds)]);
  }

  /**
   * Each document with `retention` and `legalHold` as the API shows them. A document whose row
   * is gone meanwhile (purged between two reads) is left out.
   */
  async annotate(documents: readonly Document[]): Promise<ProtectedDocument[]> {
    return annotated(documents, await this.protections(documents.map((document) => document.id)));
  }

  /**
   * `annotate` for a document just recorded (no retention override yet), from its fields and its
   * building's financial-year end (the caller read both): only the policies and the holds are
   * read, not the row again.
   */
  async annotateRecorded(document: Document, financialYearEnd: { month: number; day: number }): Promise<ProtectedDocument> {
    const row: ProtectionInputRow = {
      id: document.id,
      organization_id: document.organizationId,
      building_id: document.buildingId,
      type: document.type,
      document_date: document.documentDate,
      contract_end_date: document.contractEndDate,
      retain_until_override: null,
      created_at: document.createdAt,
      financial_year_end_month: financialYearEnd.month,
      financial_year_end_day: financialYearEnd.day,
    };
    const [protectedDocument] = annotated([document], await this.protectionsFrom([row]));
    return protectedDocument as ProtectedDocument;
  }

  /** Tells the listener (Object Lock) what these documents' protection now is. */
  async changed(documentIds: readonly string[]): Promise<void> {
    const listener = this.options.onProtectionChanged;
    if (listener === undefined || documentIds.length === 0) return;
    for (let start = 0; start < documentIds.length; start += 500) {
      await listener([...(await this.protections(documentIds.slice(start, start + 500))).values()]);
    }
  }

  private tableFrom(policy: Map<string, string> | undefined): RetentionTable {
    if (policy === undefined) return this.serviceTable;
    const overrides: RetentionOverrides = {};
    for (const [type, period] of policy) overrides[type as DocumentType] = parsePeriod(period);
    return withOverrides(this.serviceTable, overrides);
  }
}

/** Throws the refusal a protection calls for: a hold first (it outlives any date), then the retention. */
export function assertUnprotected(protection: Protection, what = 'deleted'): void {
  if (protection.legalHold !== null) throw RetentionError.held(protection.documentId, protection.legalHold, what);
  if (protection.retained) throw RetentionError.retained(protection.documentId, protection.retention.retainUntil, what);
}

/** The documents with their protection as the API shows it; one without a protection is left out. */
function annotated(documents: readonly Document[], protections: ReadonlyMap<string, Protection>): ProtectedDocument[] {
  return documents.flatMap((document) => {
    const protection = protections.get(document.id);
    if (protection === undefined) return [];
    const retention: DocumentRetention = {
      retainUntil: protection.retention.retainUntil,
      permanent: protection.retention.permanent,
      active: protection.retained,
      basis: protection.retention.basis,
      financialYearClose: protection.retention.financialYearClose ?? null,
    };
    return [{ ...document, retention, legalHold: { active: protection.legalHold !== null, scope: protection.legalHold } }];
  });
}
