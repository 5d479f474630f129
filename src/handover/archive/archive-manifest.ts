import { z } from 'zod';
import { DOCUMENT_TYPES } from '../../shared/document.js';
import { csvField } from '../../lib/csv-field.js';

/** The archive format's name and version in `manifest.json`; an importer refuses others. */
export const ARCHIVE_FORMAT = 'docstore-handover';
export const ARCHIVE_FORMAT_VERSION = 1;

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

const versionSchema = z.object({
  version: z.number().int().min(1),
  /** Path of the file from the archive's root folder. */
  path: z.string().min(1),
  fileName: z.string(),
  mimeType: z.string(),
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  uploadedBy: z.string(),
  createdAt: z.string(),
});

const documentSchema = z.object({
  id: z.string().min(1),
  type: z.enum(DOCUMENT_TYPES),
  title: z.string(),
  description: z.string().nullable(),
  documentDate: date,
  contractEndDate: date.nullable(),
  /** The date set on the document with a reason (replaces the computed one). */
  retainUntilOverride: date.nullable(),
  uploadedBy: z.string(),
  relatedMeetingId: z.string().nullable(),
  relatedExpenseId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Set when the document was in the trash (exported with `--include-trash`). */
  deletedAt: z.string().nullable(),
  /** The retention in force when exported: an import never keeps it shorter. */
  retention: z.object({ retainUntil: date.nullable(), permanent: z.boolean(), basis: z.string() }),
  legalHold: z.object({ active: z.boolean(), scope: z.enum(['document', 'building']).nullable() }),
  versions: z.array(versionSchema).min(1),
});

const holdSchema = z.object({
  documentId: z.string().nullable(),
  reason: z.string(),
  placedBy: z.string(),
  placedAt: z.string(),
  releasedBy: z.string().nullable(),
  releasedAt: z.string().nullable(),
  releaseReason: z.string().nullable(),
});

/** `manifest.json`: what the archive holds, for people and for `docstore import`. */
export const manifestSchema = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  formatVersion: z.literal(ARCHIVE_FORMAT_VERSION),
  /** Unique per export. */
  archiveId: z.string().uuid(),
  createdAt: z.string(),
  createdBy: z.string(),
  organizationId: z.string(),
  /** The fingerprint of the key that signed `SHA256SUMS`. */
  signingKeyFingerprint: z.string(),
  includesTrash: z.boolean(),
  building: z.object({
    id: z.string(),
    name: z.string(),
    street: z.string().nullable(),
    postalCode: z.string().nullable(),
    city: z.string().nullable(),
    country: z.string(),
    externalReference: z.string().nullable(),
    financialYearEnd: z.object({ month: z.number().int().min(1).max(12), day: z.number().int().min(1).max(31) }),
  }),
  documents: z.array(documentSchema),
  legalHolds: z.array(holdSchema),
  /** Documents left out, and why (`damaged`: a version's bytes do not match its SHA-256). */
  excluded: z.array(z.object({ documentId: z.string(), title: z.string(), reason: z.literal('damaged') })),
  /** The building's audit trail (`audit/audit-trail.jsonl`), when the installation has one. */
  auditTrail: z.object({ path: z.string(), entries: z.number().int() }).nullable(),
});

export type ArchiveManifest = z.infer<typeof manifestSchema>;
export type ManifestDocument = ArchiveManifest['documents'][number];
export type ManifestVersion = ManifestDocument['versions'][number];
export type ManifestHold = ArchiveManifest['legalHolds'][number];

const CSV_COLUMNS = [
  'document_id',
  'type',
  'title',
  'document_date',
  'contract_end_date',
  'uploaded_at',
  'deleted_at',
  'retain_until',
  'permanent',
  'legal_hold',
  'version',
  'file_path',
  'file_name',
  'mime_type',
  'size',
  'sha256',
  'uploaded_by',
  'version_uploaded_at',
] as const;

/** `manifest.csv`: one line per version (UTF-8 with a byte-order mark, so that spreadsheets read accents), CRLF. */
export function manifestCsv(manifest: ArchiveManifest): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const document of manifest.documents) {
    for (const version of document.versions) {
      lines.push(
        [
          document.id,
          document.type,
          document.title,
          document.documentDate,
          document.contractEndDate,
          document.createdAt,
          document.deletedAt,
          document.retention.permanent ? null : document.retention.retainUntil,
          document.retention.permanent,
          document.legalHold.active,
          version.version,
          version.path,
          version.fileName,
          version.mimeType,
          version.size,
          version.sha256,
          version.uploadedBy,
          version.createdAt,
        ]
          .map(csvField)
          .join(','),
      );
    }
  }
  return `\ufeff${lines.join('\r\n')}\r\n`;
}
