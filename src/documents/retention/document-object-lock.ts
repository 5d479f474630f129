import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { DocumentType } from '../../shared/document.js';
import { permanentLockUntil, type ObjectStorage, type PutOptions } from '../../storage/object-storage.js';
import { dateInBrussels, type CalendarDate } from './calendar-date.js';
import type { DocumentProtection, Protection } from './document-protection.js';
import { computeRetention } from './retention-rules.js';

/** The Object Lock settings an object of a document is written with; empty without Object Lock. */
export type DocumentLock = Pick<PutOptions, 'retainUntil' | 'legalHold'>;

/** A document about to be uploaded: what its retention is computed from before its row exists. */
export interface NewDocumentLockInput {
  organizationId: string;
  buildingId: string;
  type: DocumentType;
  documentDate: CalendarDate | null;
  contractEndDate: CalendarDate | null;
  uploadedAt: Date;
}

/**
 * The storage lock a document's protection calls for: `retainUntil` the first day it may be
 * deleted at 00:00 UTC (later than midnight in Brussels: the safe side), for a permanent document
 * `permanentLockUntil(upload)`, none without minimum; `legalHold` whether the document or its
 * building is held. A date already past is dropped by the storage (a past retention locks nothing),
 * and the S3 adapter asks for no date later than `LATEST_RETAIN_UNTIL`.
 */
export function documentLockOf(protection: Pick<Protection, 'retention' | 'uploadedAt' | 'legalHold'>): DocumentLock {
  const { retention } = protection;
  const legalHold = protection.legalHold !== null;
  if (retention.permanent) return { retainUntil: permanentLockUntil(protection.uploadedAt), legalHold };
  if (retention.retainUntil === null) return { legalHold };
  return { retainUntil: new Date(`${retention.retainUntil}T00:00:00Z`), legalHold };
}

/**
 * The lock a document's new object is written with, in the request that creates it (upload, new
 * version), when the storage has Object Lock (`capabilities.objectLock`); empty otherwise, so that
 * nothing is asked of a storage without it. Later changes are followed by `objectLockFollower`.
 */
export class DocumentObjectLock {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly storage: ObjectStorage,
    private readonly protection: DocumentProtection,
  ) {}

  /** Whether the storage has Object Lock: otherwise nothing is asked of it. */
  get enabled(): boolean {
    return this.storage.capabilities.objectLock;
  }

  /** The lock of a new object (a new version) of an existing document. */
  async lockOfDocument(documentId: string): Promise<DocumentLock> {
    if (!this.enabled) return {};
    const protection = (await this.protection.protections([documentId])).get(documentId);
    return protection === undefined ? {} : documentLockOf(protection);
  }

  /** The lock of a document being uploaded, from the fields sent before its file. */
  async lockOfNewDocument(input: NewDocumentLockInput): Promise<DocumentLock> {
    if (!this.enabled) return {};
    const building = await this.db
      .selectFrom('buildings')
      .select(['financial_year_end_month', 'financial_year_end_day'])
      .where('id', '=', input.buildingId)
      .executeTakeFirst();
    if (building === undefined) return {};
    const uploadDate = dateInBrussels(input.uploadedAt);
    const retention = computeRetention(
      {
        type: input.type,
        documentDate: input.documentDate ?? uploadDate,
        contractEndDate: input.contractEndDate,
        uploadDate,
        retainUntilOverride: null,
        financialYearEnd: { month: Number(building.financial_year_end_month), day: Number(building.financial_year_end_day) },
      },
      await this.protection.tableOf(input.organizationId),
    );
    const held = await this.protection.heldBuildings([input.buildingId]);
    return documentLockOf({ retention, uploadedAt: input.uploadedAt, legalHold: held.has(input.buildingId) ? 'building' : null });
  }
}
