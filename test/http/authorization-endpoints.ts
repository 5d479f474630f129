import { randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Role } from '../../src/shared/principal.js';
import type { Document, DocumentType } from '../../src/shared/document.js';
import { PDF as TINY_PDF, documentUpload, multipartBody } from '../support/upload-request.js';
import { ORG_A, type ServiceFixture } from '../support/service-fixture.js';

/** The endpoints of authorization-matrix.test.ts, with the status each role gets where it stands. */
export type Statuses = readonly [listed: number, unlisted: number, otherOrg: number];

export interface World {
  fixture: ServiceFixture;
  a1: string;
  a2: string;
  b1: string;
  /** Bearer tokens by organisation and role. */
  tokens: Record<string, Record<Role, string>>;
  /** Documents no test changes, by building and type. */
  standing: Map<string, Record<'invoice' | 'contract', Document>>;
  /** A new document uploaded by ORG_A's (or ORG_B's) syndic; moved to the trash when `trashed`. */
  fresh(buildingId: string, type: DocumentType, trashed?: boolean): Promise<Document>;
}

/** A request without its Authorization header. */
export type Request = InjectOptions & { url: string };

export interface Endpoint {
  route: string;
  /** What distinguishes rows of the same route (document type, patch). */
  variant?: string;
  /** The request on `buildingId` or one of its documents; requests that change state act on fresh documents. */
  prepare(world: World, buildingId: string): Promise<Request>;
  /** By role: [own org + listed building, own org + unlisted building, other org]. */
  expected: Record<Role, Statuses>;
  /** The code of a 404 (the documents' routes answer `documents.not_found`). */
  notFoundCode?: string;
  /** Checks a successful answer. */
  verify(response: LightMyRequestResponse, world: World, buildingId: string, request: Request): void | Promise<void>;
}

export function standing(world: World, buildingId: string, type: 'invoice' | 'contract' = 'contract'): Document {
  const documents = world.standing.get(buildingId);
  if (documents === undefined) throw new Error(`no standing documents in ${buildingId}`);
  return documents[type];
}

export async function uploadRequest(buildingId: string, type: DocumentType, title = `${type} ${randomUUID()}`): Promise<Request> {
  const body = documentUpload({ type, title, fileName: 'document.pdf', content: TINY_PDF });
  return { method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, ...body };
}

function upload(type: DocumentType, expected: Endpoint['expected']): Endpoint {
  return {
    route: 'POST /buildings/{b}/documents',
    variant: type,
    prepare: (_world, buildingId) => uploadRequest(buildingId, type),
    expected,
    verify: (response, _world, buildingId) => {
      expect(response.json()).toMatchObject({ organizationId: ORG_A, buildingId, type, mimeType: 'application/pdf', size: TINY_PDF.length });
    },
  };
}

function patch(type: 'invoice' | 'contract', body: { title?: string; type?: DocumentType }, expected: Endpoint['expected']): Endpoint {
  return {
    route: 'PATCH /documents/{id}',
    variant: `${type}, ${JSON.stringify(body)}`,
    prepare: async (world, buildingId) => ({ method: 'PATCH', url: `/api/v1/documents/${(await world.fresh(buildingId, type)).id}`, payload: body }),
    expected,
    verify: (response) => {
      expect(response.json()).toMatchObject({ ...body, deletedAt: null });
    },
  };
}

/**
 * Who may read: every role in its organisation, board members and owners only in listed buildings.
 * To a board member or owner a building outside its token does not exist (404, never 403).
 */
const READ = { superadmin: [200, 200, 200], syndic: [200, 200, 404], accountant: [200, 200, 404], board_member: [200, 404, 404], owner: [200, 404, 404] } as const;

export const ENDPOINTS: Endpoint[] = [
  upload('invoice', { superadmin: [201, 201, 201], syndic: [201, 201, 404], accountant: [201, 201, 404], board_member: [403, 404, 404], owner: [403, 404, 404] }),
  upload('contract', { superadmin: [201, 201, 201], syndic: [201, 201, 404], accountant: [403, 403, 404], board_member: [403, 404, 404], owner: [403, 404, 404] }),
  {
    route: 'GET /buildings/{b}/documents',
    prepare: async (_world, buildingId) => ({ method: 'GET', url: `/api/v1/buildings/${buildingId}/documents?limit=200` }),
    expected: READ,
    verify: (response, world, buildingId) => {
      const { items } = response.json() as { items: Document[] };
      expect(items.map((item) => item.id)).toContain(standing(world, buildingId).id);
      expect(items.every((item) => item.buildingId === buildingId && item.deletedAt === null)).toBe(true);
    },
  },
  {
    route: 'GET /buildings/{b}/trash',
    prepare: async (_world, buildingId) => ({ method: 'GET', url: `/api/v1/buildings/${buildingId}/trash?limit=200` }),
    expected: { superadmin: [200, 200, 200], syndic: [200, 200, 404], accountant: [403, 403, 404], board_member: [403, 404, 404], owner: [403, 404, 404] },
    verify: (response, _world, buildingId) => {
      const { items } = response.json() as { items: Document[] };
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((item) => item.buildingId === buildingId && item.deletedAt !== null)).toBe(true);
    },
  },
  {
    route: 'GET /buildings/{b}',
    prepare: async (_world, buildingId) => ({ method: 'GET', url: `/api/v1/buildings/${buildingId}` }),
    expected: READ,
    notFoundCode: 'building.not_found',
    verify: (response, _world, buildingId) => {
      expect(response.json()).toMatchObject({ id: buildingId, organizationId: ORG_A, name: expect.stringMatching(/^Résidence /) });
    },
  },
  {
    route: 'PATCH /buildings/{b}',
    prepare: async (_world, buildingId) => ({ method: 'PATCH', url: `/api/v1/buildings/${buildingId}`, payload: { name: `Résidence ${buildingId.slice(0, 8)}`, externalReference: randomUUID() } }),
    expected: { superadmin: [200, 200, 200], syndic: [200, 200, 404], accountant: [403, 403, 404], board_member: [403, 404, 404], owner: [403, 404, 404] },
    notFoundCode: 'building.not_found',
    verify: (response, _world, buildingId, request) => {
      expect(response.json()).toMatchObject({ id: buildingId, externalReference: (request.payload as { externalReference: string }).externalReference });
    },
  },
  {
    route: 'GET /documents/{id}',
    prepare: async (world, buildingId) => ({ method: 'GET', url: `/api/v1/documents/${standing(world, buildingId).id}` }),
    expected: READ,
    verify: (response, world, buildingId) => {
      expect(response.json()).toEqual(standing(world, buildingId));
    },
  },
  {
    route: 'GET /documents/{id}/content',
    prepare: async (world, buildingId) => ({ method: 'GET', url: `/api/v1/documents/${standing(world, buildingId).id}/content` }),
    expected: READ,
    verify: (response) => {
      expect(response.headers['content-type']).toMatch(/^application\/pdf/);
      expect(Buffer.compare(response.rawPayload, TINY_PDF)).toBe(0);
    },
  },
  {
    route: 'POST /documents/{id}/download-url',
    prepare: async (world, buildingId) => ({ method: 'POST', url: `/api/v1/documents/${standing(world, buildingId).id}/download-url`, payload: { expiresInSeconds: 60 } }),
    expected: READ,
    verify: (response) => {
      expect(response.json()).toEqual({ url: expect.stringMatching(/^https?:\/\//), expiresAt: expect.any(String) });
    },
  },
  {
    route: 'POST /documents/{id}/versions',
    variant: 'contract',
    prepare: async (world, buildingId) => ({
      method: 'POST',
      url: `/api/v1/documents/${(await world.fresh(buildingId, 'contract')).id}/versions`,
      ...multipartBody([{ name: 'file', fileName: 'avenant.pdf', content: TINY_PDF }]),
    }),
    expected: { superadmin: [201, 201, 201], syndic: [201, 201, 404], accountant: [403, 403, 404], board_member: [403, 404, 404], owner: [403, 404, 404] },
    verify: (response) => {
      expect(response.json()).toMatchObject({ version: 2, fileName: 'avenant.pdf', size: TINY_PDF.length });
    },
  },
  {
    route: 'GET /documents/{id}/versions',
    prepare: async (world, buildingId) => ({ method: 'GET', url: `/api/v1/documents/${standing(world, buildingId).id}/versions` }),
    expected: READ,
    verify: (response, world, buildingId) => {
      expect(response.json()).toMatchObject({ items: [{ version: 1, sha256: standing(world, buildingId).sha256 }] });
    },
  },
  {
    route: 'GET /documents/{id}/versions/{v}',
    prepare: async (world, buildingId) => ({ method: 'GET', url: `/api/v1/documents/${standing(world, buildingId).id}/versions/1` }),
    expected: READ,
    verify: (response, world, buildingId) => {
      expect(response.json()).toMatchObject({ version: 1, sha256: standing(world, buildingId).sha256 });
    },
  },
  {
    route: 'GET /documents/{id}/versions/{v}/content',
    prepare: async (world, buildingId) => ({ method: 'GET', url: `/api/v1/documents/${standing(world, buildingId).id}/versions/1/content` }),
    expected: READ,
    verify: (response) => {
      expect(Buffer.compare(response.rawPayload, TINY_PDF)).toBe(0);
    },
  },
  {
    route: 'POST /documents/{id}/versions/{v}/download-url',
    prepare: async (world, buildingId) => ({ method: 'POST', url: `/api/v1/documents/${standing(world, buildingId).id}/versions/1/download-url`, payload: { expiresInSeconds: 60 } }),
    expected: READ,
    verify: (response) => {
      expect(response.json()).toEqual({ url: expect.stringMatching(/^https?:\/\//), expiresAt: expect.any(String) });
    },
  },
  {
    route: 'GET /documents/{id}/retention',
    prepare: async (world, buildingId) => ({ method: 'GET', url: `/api/v1/documents/${standing(world, buildingId).id}/retention` }),
    expected: READ,
    verify: (response, world, buildingId) => {
      expect(response.json()).toMatchObject({ documentId: standing(world, buildingId).id });
    },
  },
  {
    route: 'GET /documents/{id}/text',
    prepare: async (world, buildingId) => ({ method: 'GET', url: `/api/v1/documents/${standing(world, buildingId).id}/text` }),
    expected: READ,
    verify: (response, world, buildingId) => {
      expect(response.json()).toMatchObject({ documentId: standing(world, buildingId).id });
    },
  },
  patch('invoice', { title: 'Facture rectifiée' }, { superadmin: [200, 200, 200], syndic: [200, 200, 404], accountant: [200, 200, 404], board_member: [403, 404, 404], owner: [403, 404, 404] }),
  patch('contract', { title: 'Contrat rectifié' }, { superadmin: [200, 200, 200], syndic: [200, 200, 404], accountant: [403, 403, 404], board_member: [403, 404, 404], owner: [403, 404, 404] }),
  patch('invoice', { type: 'works_quote' }, { superadmin: [200, 200, 200], syndic: [200, 200, 404], accountant: [403, 403, 404], board_member: [403, 404, 404], owner: [403, 404, 404] }),
  {
    route: 'DELETE /documents/{id}',
    prepare: async (world, buildingId) => ({ method: 'DELETE', url: `/api/v1/documents/${(await world.fresh(buildingId, 'other')).id}` }),
    expected: { superadmin: [204, 204, 204], syndic: [204, 204, 404], accountant: [403, 403, 404], board_member: [403, 404, 404], owner: [403, 404, 404] },
    verify: async (response, world, _buildingId, request) => {
      expect(response.body).toBe('');
      const id = request.url.split('/').at(-1) as string;
      const row = await world.fixture.service.db.selectFrom('documents').select('deleted_at').where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.deleted_at).not.toBeNull();
    },
  },
  {
    route: 'POST /documents/{id}/restore',
    prepare: async (world, buildingId) => ({ method: 'POST', url: `/api/v1/documents/${(await world.fresh(buildingId, 'other', true)).id}/restore` }),
    expected: { superadmin: [200, 200, 200], syndic: [200, 200, 404], accountant: [403, 403, 404], board_member: [403, 404, 404], owner: [403, 404, 404] },
    verify: (response) => {
      expect(response.json()).toMatchObject({ deletedAt: null });
    },
  },
];
