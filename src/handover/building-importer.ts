import { pipeline, Transform } from 'node:stream';
import type { Kysely, Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.js';
import { findBuilding, insertBuilding } from '../buildings/building-repository.js';
import { nameKey } from '../shared/building.js';
import { insertDocument } from '../documents/document-repository.js';
import { insertVersion } from '../documents/versions/document-version-repository.js';
import { insertChange, insertHold } from '../documents/retention/retention-repository.js';
import type { DocumentProtection } from '../documents/retention/document-protection.js';
import { dateInBrussels } from '../documents/retention/calendar-date.js';
import { computeRetention, isAtLeastAsLong, type Retention, type RetentionBasis } from '../documents/retention/retention-rules.js';
import { contentDisposition } from '../shared/file-name.js';
import { permanentLockUntil, type ObjectStorage } from '../storage/object-storage.js';
import type { ArchiveManifest, ManifestDocument } from './archive/archive-manifest.js';
import { ArchiveReader } from './archive/archive-reader.js';
import type { VerificationKey } from './archive/archive-signature.js';
import { verifyArchive, type VerificationProgress } from './archive/archive-verification.js';
import { HandoverError } from './handover-errors.js';
import { existingDocumentIds } from './handover-repository.js';
import type { HandoverActor, HandoverRecorder } from './handover-recorder.js';

export interface ImportRequest {
  /** The archive on disk. */
  file: string;
  /** The organisation the building and its documents go to. */
  organizationId: string;
  /** The building's id here. @default the archive's */
  buildingId?: string;
  /** The public keys the archive's signature must verify against (the outgoing syndic's). */
  keys: readonly VerificationKey[];
  /** Who imports (recorded on retention changes and holds). */
  importedBy: string;
  onProgress?: (phase: 'verify' | 'store', progress: VerificationProgress) => void;
  /** Who imports, for the audit trail. @default the operator of `docstore import` */
  actor?: HandoverActor;
}

export interface ImportReport {
  archiveId: string;
  fingerprint: string;
  buildingId: string;
  buildingCreated: boolean;
  documentsImported: number;
  /** Documents already here (an archive imported twice): left as they are. */
  documentsSkipped: number;
  versionsImported: number;
  bytes: number;
  /** Documents whose retention under the receiving organisation's policy was shorter: kept as long as in the archive. */
  retentionsKept: number;
}

export interface BuildingImporterDependencies {
  db: Kysely<Database>;
  storage: ObjectStorage;
  protection: DocumentProtection;
  now?: () => Date;
  /** The audit trail: the import is recorded in its transaction. */
  recorder?: HandoverRecorder;
}

/**
 * Imports a handover archive (docs/handover.md): nothing is used before the signature and every
 * file's SHA-256 verified (`verifyArchive`); then each new document's versions are stored
 * (checked again against their SHA-256 while stored), and one transaction records the building,
 * documents, versions, holds and retention: until it commits nothing is visible, and on any
 * failure the objects stored are removed. Documents already present (same id, same building) are
 * skipped, so importing an archive twice creates nothing twice. A document's retention is never
 * shorter than in the archive; legal holds are kept.
 */
export class BuildingImporter {
  private readonly now: () => Date;

  constructor(private readonly deps: BuildingImporterDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  async import(request: ImportRequest): Promise<ImportReport> {
    const reader = await ArchiveReader.open(request.file);
    try {
      const verified = await verifyArchive(reader, request.keys, (progress) => request.onProgress?.('verify', progress));
      return await this.store(reader, verified.root, verified.manifest, verified.fingerprint, request);
    } finally {
      reader.close();
    }
  }

  private async store(reader: ArchiveReader, root: string, manifest: ArchiveManifest, fingerprint: string, request: ImportRequest): Promise<ImportReport> {
    const { db, storage } = this.deps;
    const organizationId = request.organizationId;
    const buildingId = request.buildingId ?? manifest.building.id;
    const existing = await findBuilding(db, buildingId);
    if (existing !== undefined && existing.organization_id !== organizationId) {
      throw HandoverError.conflict(`building ${buildingId} is registered here by another organisation: give --building-id, or move it with a transfer`);
    }
    const ids = manifest.documents.map((document) => document.id);
    const present = await existingDocumentIds(db, ids);
    if (present.size > 0) {
      const elsewhere = await db.selectFrom('documents').select(['id', 'building_id']).where('id', 'in', [...present].slice(0, 500)).where('building_id', '!=', buildingId).execute();
      if (elsewhere.length > 0) throw HandoverError.conflict(`documents of this archive are here already, in another building (${elsewhere.map((row) => row.id).slice(0, 5).join(', ')}): within one installation move the building with a transfer`);
    }
    const fresh = manifest.documents.filter((document) => !present.has(document.id));
    const financialYearEnd = existing === undefined ? manifest.building.financialYearEnd : { month: Number(existing.financial_year_end_month), day: Number(existing.financial_year_end_day) };
    const table = await this.deps.protection.tableOf(organizationId);

    const stored: string[] = [];
    const keys = new Map<string, string>();
    const progress: VerificationProgress = { files: 0, filesTotal: fresh.reduce((sum, d) => sum + d.versions.length, 0), bytes: 0, bytesTotal: fresh.reduce((sum, d) => sum + d.versions.reduce((s, v) => s + v.size, 0), 0) };
    try {
      for (const document of fresh) {
        for (const version of document.versions) {
          const key = version.version === 1 ? `${organizationId}/${buildingId}/${document.id}` : `${organizationId}/${buildingId}/${document.id}/v${version.version}-${uuidv7()}`;
          const body = new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              progress.bytes += chunk.length;
              callback(null, chunk);
            },
          });
          // A failure of the entry's stream (size or CRC) fails the body, so the put stores nothing.
          pipeline(await reader.read(`${root}/${version.path}`), body, () => undefined);
          // The bytes were verified in the first pass; `expectedSha256` checks them again as they are stored.
          await storage.put(key, body, { contentType: version.mimeType, contentDisposition: contentDisposition(version.fileName), metadata: { 'document-id': document.id }, expectedSha256: version.sha256 });
          stored.push(key);
          keys.set(`${document.id}/${version.version}`, key);
          progress.files++;
          request.onProgress?.('store', { ...progress });
        }
      }
      const at = this.now().toISOString();
      let retentionsKept = 0;
      let buildingCreated = false;
      await db.transaction().execute(async (trx) => {
        if (existing === undefined) {
          const b = manifest.building;
          buildingCreated = await insertBuilding(trx, {
            id: buildingId,
            organization_id: organizationId,
            name: b.name,
            name_key: nameKey(b.name),
            street: b.street,
            postal_code: b.postalCode,
            city: b.city,
            country: b.country,
            external_reference: b.externalReference,
            financial_year_end_month: b.financialYearEnd.month,
            financial_year_end_day: b.financialYearEnd.day,
            created_at: at,
            updated_at: at,
          });
          if (!buildingCreated) throw HandoverError.conflict(`building ${buildingId} was registered meanwhile; import again`);
        }
        for (const document of fresh) {
          const kept = keptRetention(document, table, financialYearEnd);
          await this.insertDocument(trx, document, organizationId, buildingId, keys, kept?.override ?? document.retainUntilOverride);
          if (kept !== undefined) {
            retentionsKept++;
            await insertChange(trx, {
              id: uuidv7(),
              organization_id: organizationId,
              document_id: document.id,
              document_type: null,
              previous: kept.computed,
              next: kept.override,
              reason: `imported from handover archive ${manifest.archiveId}: kept as long as in the archive (${document.retention.permanent ? 'permanent' : document.retention.retainUntil})`,
              changed_by: request.importedBy,
              changed_at: at,
            });
          }
        }
        await this.insertHolds(trx, manifest, organizationId, buildingId, new Set(fresh.map((document) => document.id)));
        await this.deps.recorder?.imported(
          trx,
          { archiveId: manifest.archiveId, organizationId, buildingId, fingerprint, documentsImported: fresh.length, documentsSkipped: present.size, retentionsKept },
          request.actor ?? { command: 'docstore import' },
        );
      });
      await this.deps.protection.changed(fresh.map((document) => document.id));
      return {
        archiveId: manifest.archiveId,
        fingerprint,
        buildingId,
        buildingCreated,
        documentsImported: fresh.length,
        documentsSkipped: present.size,
        versionsImported: stored.length,
        bytes: progress.bytes,
        retentionsKept,
      };
    } catch (error) {
      // Nothing of a failed import stays: its rows rolled back, its objects removed.
      if (stored.length > 0) await storage.deleteMany(stored).catch(() => undefined);
      throw error;
    }
  }

  private async insertDocument(trx: Transaction<Database>, document: ManifestDocument, organizationId: string, buildingId: string, keys: Map<string, string>, retainUntilOverride: string | null): Promise<void> {
    const current = document.versions[document.versions.length - 1];
    const currentKey = keys.get(`${document.id}/${current?.version}`);
    if (current === undefined || currentKey === undefined) throw HandoverError.archiveInvalid(`document ${document.id} has no version`);
    await insertDocument(trx, {
      id: document.id,
      organization_id: organizationId,
      building_id: buildingId,
      type: document.type,
      title: document.title,
      description: document.description,
      file_name: current.fileName,
      mime_type: current.mimeType,
      size: current.size,
      sha256: current.sha256,
      uploaded_by: document.uploadedBy,
      related_meeting_id: document.relatedMeetingId,
      related_expense_id: document.relatedExpenseId,
      storage_key: currentKey,
      document_date: document.documentDate,
      contract_end_date: document.contractEndDate,
      retain_until_override: retainUntilOverride,
      created_at: document.createdAt,
      updated_at: document.updatedAt,
      deleted_at: document.deletedAt,
    });
    for (const version of document.versions) {
      await insertVersion(trx, {
        document_id: document.id,
        version: version.version,
        storage_key: keys.get(`${document.id}/${version.version}`) ?? '',
        size: version.size,
        sha256: version.sha256,
        mime_type: version.mimeType,
        file_name: version.fileName,
        uploaded_by: version.uploadedBy,
        created_at: version.createdAt,
      });
    }
  }

  /** The archive's holds, for the documents imported now; a building's hold once (same reason and date). */
  private async insertHolds(trx: Transaction<Database>, manifest: ArchiveManifest, organizationId: string, buildingId: string, imported: Set<string>): Promise<void> {
    for (const hold of manifest.legalHolds) {
      if (hold.documentId !== null && !imported.has(hold.documentId)) continue;
      let query = trx.selectFrom('legal_holds').select('id').where('building_id', '=', buildingId).where('reason', '=', hold.reason).where('placed_at', '=', hold.placedAt);
      query = hold.documentId === null ? query.where('document_id', 'is', null) : query.where('document_id', '=', hold.documentId);
      if ((await query.executeTakeFirst()) !== undefined) continue;
      await insertHold(trx, {
        id: uuidv7(),
        organization_id: organizationId,
        building_id: buildingId,
        document_id: hold.documentId,
        reason: hold.reason,
        placed_by: hold.placedBy,
        placed_at: hold.placedAt,
        released_by: hold.releasedBy,
        released_at: hold.releasedAt,
        release_reason: hold.releaseReason,
      });
    }
  }
}

/**
 * When the receiving organisation's rules would keep `document` shorter than the archive says:
 * the override date that keeps it as long (a permanent document: 100 years after its upload, the
 * longest date docstore sets), and the computed date it replaces.
 */
export function keptRetention(document: ManifestDocument, table: Parameters<typeof computeRetention>[1], financialYearEnd: { month: number; day: number }): { override: string; computed: string } | undefined {
  const uploadDate = dateInBrussels(new Date(document.createdAt));
  const here = computeRetention(
    { type: document.type, documentDate: document.documentDate, contractEndDate: document.contractEndDate, uploadDate, retainUntilOverride: document.retainUntilOverride, financialYearEnd },
    table,
  );
  const archived: Retention = { retainUntil: document.retention.retainUntil, permanent: document.retention.permanent, basis: document.retention.basis as RetentionBasis };
  if (isAtLeastAsLong(here, archived)) return undefined;
  const override = archived.permanent ? permanentLockUntil(new Date(document.createdAt)).toISOString().slice(0, 10) : (archived.retainUntil ?? '');
  return { override, computed: here.permanent ? 'permanent' : (here.retainUntil ?? 'none') };
}
