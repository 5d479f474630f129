import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { actorOf } from '../audit/audit-entry.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import { AuthError } from '../auth/auth-errors.js';
import { authorizeBuilding, authorizedDocument } from '../documents/document-access.js';
import { canSeeOrganization } from '../documents/document-authorization.js';
import { DocumentError } from '../documents/document-errors.js';
import { toDocument } from '../documents/document-fields.js';
import type { Document } from '../shared/document.js';
import type { Principal } from '../shared/principal.js';
import { searchDocuments, type SearchFilters } from './document-search.js';
import * as jobs from './extraction/extraction-job-repository.js';
import type { ExtractionTools } from './extraction/extraction-tools.js';
import { SearchError } from './search-errors.js';
import { parseQuery, queryKey, type SearchQuery } from './search-query.js';
import { snippetOf, type SnippetPart } from './search-snippet.js';

export interface SearchRequest extends SearchFilters {
  q: string;
  limit: number;
  cursor?: string;
}

export interface SearchHit {
  document: Document;
  /** The passage of the extracted text around the first match, matching words marked. */
  snippet: SnippetPart[];
}

export interface SearchPage {
  items: SearchHit[];
  /** Matches in all, under the caller's rights and the filters, counted up to 1,000 (`TOTAL_CAP`). */
  total: number;
  /** True when there are more than `total` matches (shown "1,000+"). */
  totalCapped: boolean;
  nextCursor: string | null;
}

/** A document's extracted text, as the console shows it. */
export interface DocumentText {
  documentId: string;
  /** The version the text comes from; null before any extraction. */
  version: number | null;
  text: string | null;
  method: string | null;
  extractedAt: string | null;
  /** The current version's job: `pending`, `done`, `limited`, … (null: none, e.g. the index is off). */
  status: string | null;
  /** Why the job was limited, failed or skipped. */
  error: string | null;
}

/** What search runs with on this instance. */
export interface SearchStatus {
  index: 'on' | 'off';
  ocr: 'on' | 'off';
  pdfText: 'on' | 'off';
  /** tesseract's `-l` (e.g. `fra+nld`). */
  ocrLanguages: string;
  excludedTypes: string[];
}

/** An organisation's OCR languages. */
export interface OrganizationSearchSettings {
  organizationId: string;
  /** tesseract's `-l` for this organisation's scans and images, e.g. `nld` or `fra+nld`. */
  ocrLanguages: string;
  /** `organization` when the organisation chose them, `service` for `DOCSTORE_OCR_LANGUAGES`. */
  source: 'organization' | 'service';
  /** The languages tesseract has here (empty: OCR is off). */
  installedLanguages: string[];
}

const LANGUAGES = /^[a-z_]{3,10}(\+[a-z_]{3,10}){0,4}$/;

/** Characters of text read for each hit's snippet. */
const SNIPPET_SOURCE_CHARACTERS = 200_000;

/**
 * Search inside documents for a principal: the query parsed once (`search-query.ts`), run with the
 * caller's rights inside the SQL (`searchDocuments`), each hit with a snippet of its text.
 */
export class SearchService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { enabled: boolean; tools: () => Promise<ExtractionTools>; ocrLanguages: string; excludedTypes: readonly string[]; audit?: AuditLog },
  ) {}

  /** Whether search, PDF text and OCR are on here (the first call looks for the tools when the index is on). */
  async status(): Promise<SearchStatus> {
    const { enabled, ocrLanguages, excludedTypes } = this.options;
    const tools = await this.options.tools();
    return { index: enabled ? 'on' : 'off', ocr: enabled && tools.ocr ? 'on' : 'off', pdfText: enabled && tools.pdf ? 'on' : 'off', ocrLanguages, excludedTypes: [...excludedTypes] };
  }

  /**
   * One page of ranked matches. A building the caller may not see is `documents.not_found`, as
   * everywhere; a malformed query `search.invalid_query`; a cursor of another search `search.invalid_cursor`.
   */
  async search(principal: Principal, request: SearchRequest): Promise<SearchPage> {
    if (!this.options.enabled) throw SearchError.disabled();
    const query = parseQuery(request.q);
    if (request.buildingId !== undefined) await authorizeBuilding(this.db, principal, request.buildingId, 'read');
    const filters: SearchFilters = {
      ...(request.buildingId === undefined ? {} : { buildingId: request.buildingId }),
      ...(request.type === undefined ? {} : { type: request.type }),
      ...(request.from === undefined ? {} : { from: request.from }),
      ...(request.to === undefined ? {} : { to: request.to }),
    };
    const scope = scopeOf(query, filters);
    const offset = request.cursor === undefined ? 0 : decodeCursor(request.cursor, scope);
    const { rows, total, totalCapped } = await searchDocuments(this.db, principal, query, filters, { limit: request.limit, offset });
    const texts = await this.textsOf(rows.map((row) => row.id));
    const items = rows.map((row) => ({ document: toDocument(row), snippet: snippetOf(texts.get(row.id) ?? '', query) }));
    // Recorded before the answer leaves (snippets show documents' text); a failure to record fails the search.
    await this.options.audit?.record(this.db, {
      action: 'document.search',
      actor: actorOf(principal),
      organizationId: principal.organizationId,
      buildingId: request.buildingId ?? null,
      details: { q: request.q, ...filters, offset, total, ...(totalCapped ? { totalCapped } : {}), documentIds: rows.map((row) => row.id) },
    });
    const next = offset + rows.length;
    return { items, total, totalCapped, nextCursor: rows.length === request.limit && (totalCapped || next < total) ? encodeCursor(scope, next) : null };
  }

  /**
   * The extracted text of a document the caller may read (its current version's job status beside
   * it); recorded in the audit trail as a preview of the document's content (`details.view`).
   */
  async text(principal: Principal, documentId: string): Promise<DocumentText> {
    const document = await authorizedDocument(this.db, principal, documentId, 'read');
    const version = await this.db.selectFrom('document_versions').select('version').where('document_id', '=', documentId).where('storage_key', '=', document.storage_key).executeTakeFirst();
    const [text, job] = await Promise.all([
      this.db.selectFrom('document_texts').selectAll().where('document_id', '=', documentId).executeTakeFirst(),
      version === undefined
        ? undefined
        : this.db.selectFrom('extraction_jobs').select(['status', 'error']).where('document_id', '=', documentId).where('version', '=', version.version).executeTakeFirst(),
    ]);
    await this.options.audit?.record(this.db, {
      action: 'document.preview',
      actor: actorOf(principal),
      organizationId: document.organization_id,
      buildingId: document.building_id,
      documentId,
      version: text?.version ?? null,
      details: { view: 'extracted_text' },
    });
    return {
      documentId,
      version: text?.version ?? null,
      text: text?.text ?? null,
      method: text?.method ?? null,
      extractedAt: text === undefined ? null : new Date(text.extracted_at).toISOString(),
      status: job?.status ?? null,
      error: job?.error ?? null,
    };
  }

  /** The organisation's OCR languages: readable by its syndics, accountants and superadmins. */
  async settings(principal: Principal, organizationId: string): Promise<OrganizationSearchSettings> {
    if (!canSeeOrganization(principal, organizationId)) throw DocumentError.notFound('Organization', organizationId);
    if (principal.role !== 'superadmin' && principal.role !== 'syndic' && principal.role !== 'accountant') throw AuthError.forbidden('reading search settings');
    const row = await this.db.selectFrom('organization_search_settings').select('ocr_languages').where('organization_id', '=', organizationId).executeTakeFirst();
    return {
      organizationId,
      ocrLanguages: row?.ocr_languages ?? this.options.ocrLanguages,
      source: row === undefined ? 'service' : 'organization',
      installedLanguages: [...(await this.options.tools()).languages],
    };
  }

  /**
   * Sets the organisation's OCR languages (syndics of the organisation and superadmins); null returns
   * to the service's. Languages must be installed here (`search.invalid_languages` otherwise).
   * Documents extracted before keep their text until `docstore index rebuild`.
   */
  async setSettings(principal: Principal, organizationId: string, ocrLanguages: string | null): Promise<OrganizationSearchSettings> {
    if (!canSeeOrganization(principal, organizationId)) throw DocumentError.notFound('Organization', organizationId);
    if (principal.role !== 'superadmin' && principal.role !== 'syndic') throw AuthError.forbidden('changing search settings');
    if (ocrLanguages === null) {
      await this.db.deleteFrom('organization_search_settings').where('organization_id', '=', organizationId).execute();
      return this.settings(principal, organizationId);
    }
    if (!LANGUAGES.test(ocrLanguages)) throw SearchError.invalidLanguages(ocrLanguages, 'give tesseract languages joined by +, e.g. fra+nld');
    const { languages } = await this.options.tools();
    const missing = ocrLanguages.split('+').filter((language) => !languages.includes(language));
    if (missing.length > 0) throw SearchError.invalidLanguages(ocrLanguages, `not installed here: ${missing.join(', ')} (installed: ${languages.join(', ') || 'none, OCR is off'})`);
    const row = { organization_id: organizationId, ocr_languages: ocrLanguages, updated_by: principal.userId, updated_at: new Date().toISOString() };
    await this.db
      .insertInto('organization_search_settings')
      .values(row)
      .onConflict((conflict) => conflict.column('organization_id').doUpdateSet({ ocr_languages: row.ocr_languages, updated_by: row.updated_by, updated_at: row.updated_at }))
      .execute();
    return this.settings(principal, organizationId);
  }

  /** Jobs by status, for `docstore index status` and the metrics. */
  jobCounts(): Promise<Record<jobs.JobStatus, number>> {
    return jobs.countJobs(this.db);
  }

  private async textsOf(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('document_texts')
      .select(['document_id', (eb) => eb.fn<string>('substr', ['text', eb.val(1), eb.val(SNIPPET_SOURCE_CHARACTERS)]).as('text')])
      .where('document_id', 'in', ids)
      .execute();
    return new Map(rows.map((row) => [row.document_id, row.text]));
  }
}

function scopeOf(query: SearchQuery, filters: SearchFilters): string {
  return createHash('sha256').update(JSON.stringify([queryKey(query), filters.buildingId ?? null, filters.type ?? null, filters.from ?? null, filters.to ?? null])).digest('base64url').slice(0, 16);
}

function encodeCursor(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ v: 1, s: scope, o: offset }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, scope: string): number {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw Object.assign(SearchError.invalidCursor(), { cause: error });
  }
  const { v, s, o } = (payload ?? {}) as { v?: unknown; s?: unknown; o?: unknown };
  if (v !== 1 || s !== scope || typeof o !== 'number' || !Number.isInteger(o) || o < 0 || o > 100_000) throw SearchError.invalidCursor();
  return o;
}
