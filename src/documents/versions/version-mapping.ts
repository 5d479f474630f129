import type { DocumentVersion } from '../../shared/document-version.js';
import type { DocumentVersionRow } from './document-versions.table.js';

export function toDocumentVersion(row: DocumentVersionRow): DocumentVersion {
  return {
    version: Number(row.version),
    fileName: row.file_name,
    mimeType: row.mime_type,
    size: Number(row.size),
    sha256: row.sha256,
    uploadedBy: row.uploaded_by,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
