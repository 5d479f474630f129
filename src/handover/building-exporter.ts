import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { ContentIntegrity } from '../documents/integrity/content-integrity.js';
import { sha256VerifyingStream } from '../documents/integrity/sha256-verifying-stream.js';
import type { DocumentProtection } from '../documents/retention/document-protection.js';
import { dateInBrussels } from '../documents/retention/calendar-date.js';
import type { DocumentRow } from '../documents/documents.table.js';
import type { DocumentVersionRow } from '../documents/versions/document-versions.table.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { isStorageError } from '../storage/storage-errors.js';
import { ARCHIVE_FILES, ArchiveLayout, safeComponent } from './archive/archive-layout.js';

export { ARCHIVE_FILES } from './archive/archive-layout.js';
import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, manifestCsv, type ArchiveManifest, type ManifestDocument } from './archive/archive-manifest.js';
import { archiveReadme } from './archive/archive-readme.js';
import { fingerprintOf, signDetached, type SigningKey } from './archive/archive-signature.js';
import { ArchiveWriter } from './archive/archive-writer.js';
import { HandoverError } from './handover-errors.js';
import { buildingContents } from './handover-repository.js';
import { writeAuditTrailFile } from './archive/audit-trail-file.js';
import type { HandoverActor, HandoverRecorder } from './handover-recorder.js';
import { BuildingError } from '../buildings/building-errors.js';


/** How far an export has got, after each file. */
export interface ExportProgress {
  files: number;
  filesTotal: number;
  bytes: number;
  bytesTotal: number;
}

/** What an export is, for the audit trail: recorded before the trail is read, so the archive's trail holds its own export. */
export interface ExportRecord {
  archiveId: string;
  buildingId: string;
  organizationId: string;
  requestedBy: string;
  includeTrash: boolean;
  documents: number;
  versions: number;
  excluded: number;
  fingerprint: string;
}

export interface ExportRequest {
  buildingId: string;
  /** Documents in the trash go under `trash/`. @default false */
  includeTrash?: boolean;
  /** The organisation's key: signs `SHA256SUMS`. */
  signingKey: SigningKey;
  /** Who asked (a token's subject, or `cli:<user>`). */
  requestedBy: string;
  /** ZIP64 records even when not needed (tests of readers). @default false */
  forceZip64?: boolean;
  onProgress?: (progress: ExportProgress) => void;
  /** Who exports, for the audit trail. @default the operator of `docstore export` */
  actor?: HandoverActor;
}

/** An export under way: pipe `output` somewhere; it fails when a document's bytes are damaged. */
export interface OpenedExport {
  output: Readable;
  manifest: ArchiveManifest;
  /** Suggested file name: `<root>.zip`. */
  fileName: string;
}

export interface BuildingExporterDependencies {
  db: Kysely<Database>;
  storage: ObjectStorage;
  integrity: ContentIntegrity;
  protection: DocumentProtection;
  now?: () => Date;
  /** The audit trail: records the export, and gives the building's trail for the archive. */
  recorder?: HandoverRecorder;
}

/**
 * Writes a building's whole archive as one signed ZIP (docs/handover.md): every version of every
 * document read through the storage port (plaintext under encryption) and checked against its
 * SHA-256 while it streams, the manifests, the README, `SHA256SUMS` and its detached signature.
 * Documents already `broken` are left out and listed as excluded; a version found damaged while
 * streaming stops the export (`handover.document_damaged`) and makes its document broken: an
 * archive never holds a damaged document as whole.
 */
export class BuildingExporter {
  private readonly now: () => Date;

  constructor(private readonly deps: BuildingExporterDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  async open(request: ExportRequest): Promise<OpenedExport> {
    const { db } = this.deps;
    const contents = await buildingContents(db, request.buildingId, request.includeTrash === true);
    if (contents === undefined) throw BuildingError.notFound(request.buildingId);
    const createdAt = this.now();
    const { building } = contents;
    const root = safeComponent(`${building.name || building.id} - docstore ${createdAt.toISOString().slice(0, 10)}`, building.id);
    const layout = new ArchiveLayout(root);
    const fixed = Object.fromEntries(Object.entries(ARCHIVE_FILES).map(([name, path]) => [name, layout.fixed(path)])) as Record<keyof typeof ARCHIVE_FILES, string>;
    const protections = await this.deps.protection.protections(contents.documents.map((row) => row.id));
    const whole = contents.documents.filter((row) => row.status !== 'broken');
    const documents: ManifestDocument[] = [];
    const entries: Array<{ row: DocumentRow; version: DocumentVersionRow; path: string }> = [];
    for (const row of whole) {
      const protection = protections.get(row.id);
      const documentDate = row.document_date ?? dateInBrussels(new Date(row.created_at));
      const folder = layout.documentFolder({ id: row.id, type: row.type, documentDate, title: row.title, trashed: row.deleted_at !== null });
      const versions = (contents.versions.get(row.id) ?? []).map((version) => {
        const path = layout.versionPath(folder, Number(version.version), version.file_name);
        entries.push({ row, version, path });
        return {
          version: Number(version.version),
          path,
          fileName: version.file_name,
          mimeType: version.mime_type,
          size: Number(version.size),
          sha256: version.sha256,
          uploadedBy: version.uploaded_by,
          createdAt: iso(version.created_at),
        };
      });
      documents.push({
        id: row.id,
        type: row.type as ManifestDocument['type'],
        title: row.title,
        description: row.description,
        documentDate,
        contractEndDate: row.contract_end_date,
        retainUntilOverride: row.retain_until_override,
        uploadedBy: row.uploaded_by,
        relatedMeetingId: row.related_meeting_id,
        relatedExpenseId: row.related_expense_id,
        createdAt: iso(row.created_at),
        updatedAt: iso(row.updated_at),
        deletedAt: row.deleted_at === null ? null : iso(row.deleted_at),
        retention: {
          retainUntil: protection?.retention.retainUntil ?? null,
          permanent: protection?.retention.permanent ?? false,
          basis: protection?.retention.basis ?? 'none',
        },
        legalHold: { active: protection !== undefined && protection.legalHold !== null, scope: protection?.legalHold ?? null },
        versions,
      });
    }
    const archiveId = randomUUID();
    const fingerprint = fingerprintOf(request.signingKey);
    const recorder = this.deps.recorder;
    await recorder?.exported({
      archiveId,
      buildingId: building.id,
      organizationId: building.organization_id,
      requestedBy: request.requestedBy,
      includeTrash: request.includeTrash === true,
      documents: documents.length,
      versions: entries.length,
      excluded: contents.documents.length - whole.length,
      fingerprint,
    }, request.actor ?? { command: 'docstore export' });
    const audit = recorder === undefined ? undefined : await writeAuditTrailFile(recorder.trail(building.id));
    const manifest: ArchiveManifest = {
      format: ARCHIVE_FORMAT,
      formatVersion: ARCHIVE_FORMAT_VERSION,
      archiveId,
      createdAt: createdAt.toISOString(),
      createdBy: request.requestedBy,
      organizationId: building.organization_id,
      signingKeyFingerprint: fingerprint,
      includesTrash: request.includeTrash === true,
      building: {
        id: building.id,
        name: building.name,
        street: building.street,
        postalCode: building.postal_code,
        city: building.city,
        country: building.country,
        externalReference: building.external_reference,
        financialYearEnd: { month: Number(building.financial_year_end_month), day: Number(building.financial_year_end_day) },
      },
      documents,
      legalHolds: contents.holds
        .filter((hold) => hold.document_id === null || documents.some((document) => document.id === hold.document_id))
        .map((hold) => ({
          documentId: hold.document_id,
          reason: hold.reason,
          placedBy: hold.placed_by,
          placedAt: iso(hold.placed_at),
          releasedBy: hold.released_by,
          releasedAt: hold.released_at === null ? null : iso(hold.released_at),
          releaseReason: hold.release_reason,
        })),
      excluded: contents.documents.filter((row) => row.status === 'broken').map((row) => ({ documentId: row.id, title: row.title, reason: 'damaged' as const })),
      auditTrail: audit === undefined ? null : { path: fixed.auditTrail, entries: audit.entries },
    };

    const writer = await ArchiveWriter.create(root);
    const texts: Array<[string, string]> = [
      [
        fixed.readme,
        archiveReadme({
          buildingName: building.name,
          buildingId: building.id,
          createdAt: manifest.createdAt,
          root,
          documents: documents.length,
          versions: entries.length,
          fingerprint: manifest.signingKeyFingerprint,
          excluded: manifest.excluded.length,
        }),
      ],
      [fixed.manifestJson, `${JSON.stringify(manifest, null, 2)}\n`],
      [fixed.manifestCsv, manifestCsv(manifest)],
      [fixed.signingKey, request.signingKey.toPublic().armor()],
    ];
    const bytesTotal = entries.reduce((sum, entry) => sum + Number(entry.version.size), 0);
    const progress: ExportProgress = { files: 0, filesTotal: texts.length + entries.length + (audit === undefined ? 0 : 1), bytes: 0, bytesTotal };
    for (const [path, text] of texts) {
      writer.addText(path, text, createdAt);
      progress.files++;
    }
    if (audit !== undefined) {
      writer.addStream({ path: fixed.auditTrail, size: audit.size, sha256: audit.sha256, mtime: createdAt, open: async () => audit.open() });
      progress.files++;
      writer.output.once('close', () => void audit.dispose());
    }
    for (const entry of entries) {
      writer.addStream({
        path: entry.path,
        size: Number(entry.version.size),
        sha256: entry.version.sha256,
        mtime: new Date(entry.version.created_at),
        open: () => this.openVersion(entry.row, entry.version, progress, request.onProgress),
      });
    }
    const checksums = writer.checksums();
    writer.addText(fixed.checksums, checksums, createdAt, { unlisted: true });
    writer.addText(fixed.signature, await signDetached(Buffer.from(checksums, 'utf8'), request.signingKey), createdAt, { unlisted: true });
    writer.end(request.forceZip64 === true ? { forceZip64: true } : {});
    return { output: writer.output, manifest, fileName: `${root}.zip` };
  }

  /** A version's plaintext, checked against its SHA-256 as it streams; damage is recorded and stops the export. */
  private async openVersion(row: DocumentRow, version: DocumentVersionRow, progress: ExportProgress, onProgress?: (progress: ExportProgress) => void): Promise<Readable> {
    const stored = {
      documentId: row.id,
      version: Number(version.version),
      storageKey: version.storage_key,
      sha256: version.sha256,
      size: Number(version.size),
      current: version.storage_key === row.storage_key,
      status: row.status,
    };
    const damaged = async (reason: 'mismatch' | 'missing', error: unknown, actual?: string) => {
      await this.deps.integrity.recordDamage(stored, reason, 'read', actual);
      return HandoverError.documentDamaged(row.id, stored.version, error);
    };
    let body: Readable;
    try {
      body = (await this.deps.storage.get(version.storage_key)).body;
    } catch (error) {
      if (isStorageError(error) && error.code === 'storage.not_found') throw await damaged('missing', error);
      throw error;
    }
    const verified = sha256VerifyingStream(version.storage_key, version.sha256);
    const out = new PassThrough();
    verified.on('data', (chunk: Buffer) => {
      progress.bytes += chunk.length;
    });
    verified.on('end', () => {
      progress.files++;
      onProgress?.({ ...progress });
    });
    body.on('error', (error) => verified.destroy(error));
    // The archive stopped (another entry failed): stop reading this object too.
    out.on('close', () => {
      if (!verified.readableEnded) body.destroy();
    });
    verified.on('error', (error) => {
      if (isStorageError(error) && error.code === 'storage.integrity') {
        const actual = (error.context as { actual?: string }).actual;
        damaged('mismatch', error, actual).then(
          (translated) => out.destroy(translated),
          (recordFailure: unknown) => out.destroy(recordFailure instanceof Error ? recordFailure : new Error(String(recordFailure))),
        );
      } else out.destroy(error);
    });
    body.pipe(verified).pipe(out);
    return out;
  }
}

function iso(value: string | Date): string {
  return new Date(value).toISOString();
}
