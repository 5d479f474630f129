import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/jwt-verifier.js';
import { ROLES, type Role } from '../../src/shared/principal.js';
import type { Document } from '../../src/shared/document.js';
import { ORG_A, ORG_B, SERVICE_PAIRS } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { ENDPOINTS, standing, uploadRequest, type Endpoint, type World } from './authorization-endpoints.js';

/**
 * Every role × every endpoint × where the caller stands: ORG_A's building A1 (listed in the token),
 * ORG_A's building A2 (not listed), or ORG_A's A1 asked for with an ORG_B token. board_member and
 * owner tokens list A1 only; ORG_B tokens list B1 and A1, so that a claim naming another
 * organisation's building must not open it.
 */
const SCOPES = ['own org, listed building', 'own org, unlisted building', 'other org'] as const;
type Scope = (typeof SCOPES)[number];

const CODE_BY_STATUS: Record<number, string> = { 403: 'auth.forbidden', 404: 'documents.not_found' };

/** Tokens that must answer 401, whatever the endpoint. */
const BAD_TOKENS: Array<{ name: string; code: string; authorization(world: World): Promise<string | undefined> }> = [
  { name: 'missing', code: 'auth.missing_token', authorization: async () => undefined },
  { name: 'not a Bearer token', code: 'auth.invalid_token', authorization: async () => 'Basic c3luZGljOnNlY3JldA==' },
  { name: 'malformed', code: 'auth.invalid_token', authorization: async () => 'Bearer not-a-jwt' },
  { name: 'expired', code: 'auth.invalid_token', authorization: async (world) => `Bearer ${await world.fixture.token('syndic', { ttlSeconds: -60 })}` },
  {
    name: 'wrongly signed',
    code: 'auth.invalid_token',
    authorization: async () =>
      `Bearer ${await mintToken(Buffer.from('not-the-docstore-secret-0123456789abcdef'), { sub: 'user-syndic', org: ORG_A, role: 'syndic', ttlSeconds: 600 })}`,
  },
  {
    name: 'unsigned (alg none)',
    code: 'auth.invalid_token',
    authorization: async () => {
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `Bearer ${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'user-syndic', org: ORG_A, role: 'superadmin', buildings: [], exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    },
  },
];

function scopeOf(world: World, scope: Scope): { org: string; buildingId: string } {
  if (scope === 'own org, listed building') return { org: ORG_A, buildingId: world.a1 };
  if (scope === 'own org, unlisted building') return { org: ORG_A, buildingId: world.a2 };
  return { org: ORG_B, buildingId: world.a1 };
}

/** The building's rows and stored objects: a denied request must leave both as they were. */
async function stateOf(world: World, buildingId: string): Promise<{ rows: unknown[]; keys: string[] }> {
  const rows = await world.fixture.service.db.selectFrom('documents').selectAll().where('building_id', '=', buildingId).orderBy('id').execute();
  const keys: string[] = [];
  for await (const entry of world.fixture.service.storage.list()) {
    if (entry.kind === 'object' && entry.key.split('/')[1] === buildingId) keys.push(entry.key);
  }
  return { rows, keys };
}

function expectProblem(response: LightMyRequestResponse, status: number, code: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
  expect(response.json()).toMatchObject({ status, code, type: `urn:docstore:${code}`, title: expect.any(String), detail: expect.any(String) });
}

/** One endpoint per route (the first variant). */
function uniqueRoutes(): Endpoint[] {
  return ENDPOINTS.filter((endpoint, index) => ENDPOINTS.findIndex((other) => other.route === endpoint.route) === index);
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

function nameOf(endpoint: Endpoint): string {
  return endpoint.variant === undefined ? endpoint.route : `${endpoint.route} (${endpoint.variant})`;
}

for (const [name, factory] of SERVICE_PAIRS) {
  describe(`authorization matrix: ${name}`, () => {
    const world = {} as World;

    beforeAll(async () => {
      world.fixture = await factory();
      world.a1 = randomUUID();
      world.a2 = randomUUID();
      world.b1 = randomUUID();
      await registerBuilding(world.fixture, { id: world.a1 });
      await registerBuilding(world.fixture, { id: world.a2 });
      await registerBuilding(world.fixture, { id: world.b1, org: ORG_B });
      world.tokens = {};
      for (const [org, buildings] of [
        [ORG_A, [world.a1]],
        [ORG_B, [world.b1, world.a1]],
      ] as const) {
        const entries = await Promise.all(ROLES.map(async (role) => [role, await world.fixture.token(role, { org, sub: `user-${role}-${org}`, buildings: [...buildings] })] as const));
        world.tokens[org] = Object.fromEntries(entries) as Record<Role, string>;
      }
      world.fresh = async (buildingId, type, trashed = false) => {
        const syndic = `Bearer ${world.tokens[buildingId === world.b1 ? ORG_B : ORG_A]?.syndic}`;
        const request = await uploadRequest(buildingId, type);
        const created = await world.fixture.service.app.inject({ ...request, headers: { ...request.headers, authorization: syndic } });
        expect(created.statusCode, created.body).toBe(201);
        const document = created.json() as Document;
        if (!trashed) return document;
        const deleted = await world.fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${document.id}`, headers: { authorization: syndic } });
        expect(deleted.statusCode, deleted.body).toBe(204);
        return document;
      };
      world.standing = new Map();
      for (const buildingId of [world.a1, world.a2, world.b1]) {
        world.standing.set(buildingId, { invoice: await world.fresh(buildingId, 'invoice'), contract: await world.fresh(buildingId, 'contract') });
        // Something in the trash (a type without retention, so that it can be deleted).
        await world.fresh(buildingId, 'other', true);
      }
    });

    afterAll(async () => {
      await world.fixture?.close();
    });

    for (const endpoint of ENDPOINTS) {
      describe(nameOf(endpoint), () => {
        for (const role of ROLES) {
          for (const [index, scope] of SCOPES.entries()) {
            const status = endpoint.expected[role][index] as number;
            it(`${role}, ${scope} → ${status}`, async () => {
              const { org, buildingId } = scopeOf(world, scope);
              const request = await endpoint.prepare(world, buildingId);
              const before = await stateOf(world, buildingId);
              const response = await world.fixture.service.app.inject({ ...request, headers: { ...request.headers, authorization: `Bearer ${world.tokens[org]?.[role]}` } });
              expect(response.statusCode, response.body).toBe(status);
              if (status < 400) {
                await endpoint.verify(response, world, buildingId, request);
                return;
              }
              expectProblem(response, status, (status === 404 ? endpoint.notFoundCode : undefined) ?? (CODE_BY_STATUS[status] as string));
              expect(await stateOf(world, buildingId)).toEqual(before);
            });
          }
        }
      });
    }

    describe('without a valid token', () => {
      for (const endpoint of uniqueRoutes()) {
        for (const bad of BAD_TOKENS) {
          it(`${endpoint.route}, ${bad.name} token → 401`, async () => {
            const request = await endpoint.prepare(world, world.a1);
            const before = await stateOf(world, world.a1);
            const authorization = await bad.authorization(world);
            const response = await world.fixture.service.app.inject({ ...request, headers: { ...request.headers, ...(authorization === undefined ? {} : { authorization }) } });
            expectProblem(response, 401, bad.code);
            expect(await stateOf(world, world.a1)).toEqual(before);
          });
        }
      }
    });

    describe('controls: the other organisation is really another one', () => {
      for (const role of ROLES) {
        it(`ORG_B ${role} reads its own building B1`, async () => {
          const response = await world.fixture.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${world.b1}/documents`, headers: { authorization: `Bearer ${world.tokens[ORG_B]?.[role]}` } });
          expect(response.statusCode, response.body).toBe(200);
          expect((response.json() as { items: Document[] }).items.map((item) => item.id)).toContain(standing(world, world.b1).id);
        });
      }

      it('ORG_A syndic gets 404 for B1 and its documents, and cannot upload into B1', async () => {
        const headers = { authorization: `Bearer ${world.tokens[ORG_A]?.syndic}` };
        const listed = await world.fixture.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${world.b1}/documents`, headers });
        expectProblem(listed, 404, 'documents.not_found');
        const read = await world.fixture.service.app.inject({ method: 'GET', url: `/api/v1/documents/${standing(world, world.b1).id}`, headers });
        expectProblem(read, 404, 'documents.not_found');
        const request = await uploadRequest(world.b1, 'invoice');
        const uploaded = await world.fixture.service.app.inject({ ...request, headers: { ...request.headers, ...headers } });
        expectProblem(uploaded, 404, 'documents.not_found');
      });

      for (const role of ['board_member', 'owner'] as const) {
        for (const endpoint of uniqueRoutes()) {
          it(`ORG_A ${role}: ${endpoint.route} on A2 (outside its token) answers exactly like an id that does not exist`, async () => {
            const request = await endpoint.prepare(world, world.a2);
            const hiddenId = request.url.match(UUID)?.[0] as string;
            const unknownId = randomUUID();
            const headers = { ...request.headers, authorization: `Bearer ${world.tokens[ORG_A]?.[role]}` };
            const hidden = await world.fixture.service.app.inject({ ...request, headers });
            const missing = await world.fixture.service.app.inject({ ...request, url: request.url.replace(hiddenId, unknownId), headers });
            expectProblem(hidden, 404, endpoint.notFoundCode ?? 'documents.not_found');
            const strip = (response: LightMyRequestResponse, id: string) => JSON.parse(response.body.replaceAll(id, '{id}')) as unknown;
            expect(strip(hidden, hiddenId)).toEqual(strip(missing, unknownId));
            expect(Object.keys(hidden.headers).sort()).toEqual(Object.keys(missing.headers).sort());
            if (hiddenId !== world.a2) expect(hidden.body).not.toContain(world.a2);
          });
        }
      }

      it('another organisation’s document answers exactly like a document that does not exist', async () => {
        const headers = { authorization: `Bearer ${world.tokens[ORG_B]?.syndic}` };
        const known = standing(world, world.a1).id;
        const unknown = randomUUID();
        const [hidden, missing] = await Promise.all(
          [known, unknown].map((id) => world.fixture.service.app.inject({ method: 'GET', url: `/api/v1/documents/${id}`, headers })),
        );
        const strip = (response: LightMyRequestResponse, id: string) => JSON.parse(response.body.replaceAll(id, '{id}')) as unknown;
        expect(strip(hidden as LightMyRequestResponse, known)).toEqual(strip(missing as LightMyRequestResponse, unknown));
      });
    });
  });
}
