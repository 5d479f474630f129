import { csvField } from '../../lib/csv-field.js';
import type { AuditEntryRow } from '../audit.table.js';

/** The formats of `GET /api/v1/audit/export`. */
export const AUDIT_EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

export const AUDIT_EXPORT_CONTENT_TYPES: Record<AuditExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/jsonl; charset=utf-8',
};

/**
 * The columns of an export, in order: the chain's position and hashes first, so that an auditor
 * can check them against `docstore audit verify` or another export, then what was recorded.
 */
export const AUDIT_EXPORT_COLUMNS = [
  'chain_seq',
  'entry_hash',
  'previous_hash',
  'id',
  'at',
  'organization_id',
  'building_id',
  'document_id',
  'version',
  'action',
  'outcome',
  'actor_kind',
  'actor_subject',
  'actor_role',
  'request_id',
  'client_address',
  'user_agent',
  'details',
] as const;

type ExportRecord = Record<(typeof AUDIT_EXPORT_COLUMNS)[number], string | number | null>;

/** A row as exported: numbers as numbers, `at` ISO-8601 UTC, `details` its JSON text (as recorded, hashed as such). */
function exportRecord(row: AuditEntryRow): ExportRecord {
  return {
    chain_seq: row.chain_seq === null ? null : Number(row.chain_seq),
    entry_hash: row.entry_hash,
    previous_hash: row.previous_hash,
    id: Number(row.id),
    at: new Date(row.at).toISOString(),
    organization_id: row.organization_id,
    building_id: row.building_id,
    document_id: row.document_id,
    version: row.version,
    action: row.action,
    outcome: row.outcome,
    actor_kind: row.actor_kind,
    actor_subject: row.actor_subject,
    actor_role: row.actor_role,
    request_id: row.request_id,
    client_address: row.client_address,
    user_agent: row.user_agent,
    details: row.details,
  };
}

/**
 * The export's text, one entry at a time: CSV (UTF-8 with a byte-order mark, so that Excel reads
 * accents instead of guessing Windows-1252; CRLF; formula-safe cells) or JSON Lines (one object
 * per line, the same fields).
 */
export async function* auditExportLines(rows: AsyncIterable<AuditEntryRow>, format: AuditExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield `\ufeff${AUDIT_EXPORT_COLUMNS.join(',')}\r\n`;
  for await (const row of rows) {
    const record = exportRecord(row);
    yield format === 'csv' ? `${AUDIT_EXPORT_COLUMNS.map((column) => csvField(record[column])).join(',')}\r\n` : `${JSON.stringify(record)}\n`;
  }
}
