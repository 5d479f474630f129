import type { AuditPage } from '../../src/shared/audit-entry.js';
import type { BuildingPage, BuildingSummary } from '../../src/shared/building.js';
import type { ProtectedDocument as Document, DocumentType, LegalHold } from '../../src/shared/document.js';
import type { DocumentVersion } from '../../src/shared/document-version.js';
import type { Role } from '../../src/shared/principal.js';

export type { AuditEntry, AuditPage } from '../../src/shared/audit-entry.js';
export type { BuildingSummary } from '../../src/shared/building.js';
// Every answer carries the document's retention and legal hold.
export type { ProtectedDocument as Document, DocumentType, LegalHold } from '../../src/shared/document.js';
export type { DocumentVersion } from '../../src/shared/document-version.js';
export type { Role } from '../../src/shared/principal.js';
// The server's own list (a module without Node dependencies, bundled as is).
export { DOCUMENT_TYPES } from '../../src/shared/document.js';

export interface Me {
  userId: string;
  organizationId: string;
  role: Role;
  buildingIds: string[];
  /** What an upload may be: the console checks a file against them before sending it. */
  limits: { maxUploadBytes: number; allowedMimeTypes: string[]; trashDays: number };
}

/** What the console sends to register or change a building. */
export interface BuildingInput {
  name: string;
  address: { street: string | null; postalCode: string | null; city: string | null; country: string };
  financialYearEnd: { month: number; day: number };
}

/** The dates a document's retention counts from (`YYYY-MM-DD`). */
export interface DocumentDates {
  documentDate?: string;
  /** Contracts only; null clears it. */
  contractEndDate?: string | null;
}

export interface DocumentPage {
  items: Document[];
  nextCursor: string | null;
}

/** Filters of `GET /api/v1/audit` (docs/audit.md): `from` inclusive, `to` exclusive, days or instants. */
export interface AuditFilters {
  organization?: string;
  building?: string;
  document?: string;
  actor?: string;
  action?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

/** A file the API sent, to save: its bytes and the name its Content-Disposition gave. */
export interface ApiFile {
  blob: Blob;
  fileName: string;
}

export interface Overview {
  storage: { backend: string; status: 'ok' | 'unavailable'; code?: string };
  database: { status: 'ok' | 'unavailable'; code?: string };
  documents: { byType: Array<{ type: string; count: number; bytes: number }>; total: { count: number; bytes: number }; trash: { count: number; bytes: number } };
  limits: { maxUploadBytes: number };
}

/** An API failure, from its problem+json (status 0: the network). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/** The API's answer as an `ApiError` (problem+json when it is one). */
export async function problemOf(status: number, contentType: string | null, text: string): Promise<ApiError> {
  if (contentType?.includes('json') === true) {
    try {
      const problem = JSON.parse(text) as { code?: string; detail?: string; title?: string } & Record<string, unknown>;
      return new ApiError(status, problem.code ?? 'http.error', problem.detail ?? problem.title ?? String(status), problem);
    } catch {
      // Not JSON after all: the text below is the best description.
    }
  }
  return new ApiError(status, 'http.error', text.slice(0, 200) || String(status));
}

/** docstore's API with one bearer token; `onUnauthorized` runs on any 401 (expired token). */
export class Api {
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void,
  ) {}

  /** The `authorization` header's value, and the call to make on a 401, for the resumable uploads (`resumable-upload.ts`, loaded with the upload panel). */
  get credentials(): { authorization: string; onUnauthorized: () => void } {
    return { authorization: `Bearer ${this.token}`, onUnauthorized: this.onUnauthorized };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ApiError(0, 'network', error instanceof Error ? error.message : String(error));
    }
    if (!response.ok) {
      const failure = await problemOf(response.status, response.headers.get('content-type'), await response.text());
      if (response.status === 401) this.onUnauthorized();
      throw failure;
    }
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  me(): Promise<Me> {
    return this.request('GET', '/api/v1/me');
  }

  /** Every building the caller may see (all pages). */
  async buildings(): Promise<BuildingPage['items']> {
    const all: BuildingPage['items'] = [];
    let cursor: string | null = null;
    do {
      const page: BuildingPage = await this.request('GET', `/api/v1/buildings?limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return all;
  }

  /** Registers a building (syndics, superadmins); `organizationId` only for a superadmin. */
  createBuilding(body: BuildingInput & { id?: string; organizationId?: string }): Promise<BuildingSummary> {
    return this.request('POST', '/api/v1/buildings', body);
  }

  /** Renames a building, changes its address or financial-year end (only the fields given). */
  updateBuilding(id: string, patch: Partial<BuildingInput>): Promise<BuildingSummary> {
    return this.request('PATCH', `/api/v1/buildings/${id}`, patch);
  }

  /** One page of a building's documents (or its trash), newest first; `limit` 1–200, 25 by default. */
  documents(buildingId: string, query: { type?: string; q?: string; cursor?: string; trash?: boolean; limit?: number }): Promise<DocumentPage> {
    const params = new URLSearchParams({ limit: String(query.limit ?? 25) });
    if (query.type) params.set('type', query.type);
    if (query.q) params.set('q', query.q);
    if (query.cursor) params.set('cursor', query.cursor);
    return this.request('GET', `/api/v1/buildings/${buildingId}/${query.trash === true ? 'trash' : 'documents'}?${params}`);
  }

  update(id: string, patch: { title?: string; type?: DocumentType } & DocumentDates): Promise<Document> {
    return this.request('PATCH', `/api/v1/documents/${id}`, patch);
  }

  /** Places (`held`) or releases a legal hold on a document, with the reason (kept). */
  setLegalHold(id: string, held: boolean, reason: string): Promise<{ held: boolean }> {
    return this.request('PUT', `/api/v1/documents/${id}/legal-hold`, { held, reason });
  }

  /** Places (`held`) or releases a legal hold on a whole building, present and future documents. */
  setBuildingHold(buildingId: string, held: boolean, reason: string): Promise<{ held: boolean; hold: LegalHold | null }> {
    return this.request('PUT', `/api/v1/buildings/${buildingId}/legal-hold`, { held, reason });
  }

  /** The building's holds and its documents', active and released, newest first (syndics, superadmins). */
  async buildingHolds(buildingId: string): Promise<LegalHold[]> {
    return (await this.request<{ items: LegalHold[] }>('GET', `/api/v1/buildings/${buildingId}/legal-holds`)).items;
  }

  remove(id: string): Promise<void> {
    return this.request('DELETE', `/api/v1/documents/${id}`);
  }

  restore(id: string): Promise<Document> {
    return this.request('POST', `/api/v1/documents/${id}/restore`);
  }

  link(id: string, disposition: 'attachment' | 'inline', expiresInSeconds = 3600): Promise<{ url: string; expiresAt: string }> {
    return this.request('POST', `/api/v1/documents/${id}/download-url`, { disposition, expiresInSeconds });
  }

  /** A document's versions, newest first (the first is its current content). */
  async versions(id: string): Promise<DocumentVersion[]> {
    return (await this.request<{ items: DocumentVersion[] }>('GET', `/api/v1/documents/${id}/versions`)).items;
  }

  versionLink(id: string, version: number, disposition: 'attachment' | 'inline', expiresInSeconds = 300): Promise<{ url: string; expiresAt: string }> {
    return this.request('POST', `/api/v1/documents/${id}/versions/${version}/download-url`, { disposition, expiresInSeconds });
  }

  /** One page of the audit trail as the caller's role may see it, newest first. */
  audit(filters: AuditFilters, cursor: string | null, limit = 25): Promise<AuditPage> {
    const params = new URLSearchParams({ limit: String(limit) });
    for (const [name, value] of Object.entries(filters)) if (value !== undefined && value !== '') params.set(name, value);
    if (cursor !== null) params.set('cursor', cursor);
    return this.request('GET', `/api/v1/audit?${params}`);
  }

  /** A building's trail over a period as CSV or JSON Lines, fetched with the token (never in a URL). */
  async auditExport(filters: Pick<AuditFilters, 'organization' | 'from' | 'to'> & { building: string }, format: 'csv' | 'jsonl'): Promise<ApiFile> {
    const params = new URLSearchParams({ format });
    for (const [name, value] of Object.entries(filters)) if (value !== undefined && value !== '') params.set(name, value);
    return this.file(`/api/v1/audit/export?${params}`, `audit.${format}`);
  }

  overview(): Promise<Overview> {
    return this.request('GET', '/api/v1/admin/overview');
  }

  /** The document's bytes as a Blob (previews). */
  async content(id: string): Promise<Blob> {
    const response = await fetch(`/api/v1/documents/${id}/content?disposition=inline`, { headers: { authorization: `Bearer ${this.token}` } });
    if (!response.ok) throw await problemOf(response.status, response.headers.get('content-type'), await response.text());
    return response.blob();
  }

  /** A file from the API (its whole body), named by its Content-Disposition, else `fallbackName`. */
  private async file(path: string, fallbackName: string): Promise<ApiFile> {
    let response: Response;
    try {
      response = await fetch(path, { headers: { authorization: `Bearer ${this.token}` } });
    } catch (error) {
      throw new ApiError(0, 'network', error instanceof Error ? error.message : String(error));
    }
    if (!response.ok) {
      if (response.status === 401) this.onUnauthorized();
      throw await problemOf(response.status, response.headers.get('content-type'), await response.text());
    }
    const disposition = response.headers.get('content-disposition') ?? '';
    const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
    const plain = /filename="([^"]+)"/i.exec(disposition)?.[1];
    return { blob: await response.blob(), fileName: encoded === undefined ? (plain ?? fallbackName) : decodeURIComponent(encoded) };
  }
}
