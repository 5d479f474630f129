import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { ORG_A, type ServiceFixture } from './service-fixture.js';

/** What a test registers: any field left out gets a usable value. */
export interface BuildingRegistration {
  /** @default a random UUID */
  id?: string;
  /** @default `Résidence <first 8 characters of the id>` */
  name?: string;
  address?: { street?: string; postalCode?: string; city?: string; country?: string };
  externalReference?: string;
  financialYearEnd?: { month: number; day: number };
}

function bodyOf(registration: BuildingRegistration): Record<string, unknown> & { id: string } {
  const id = registration.id ?? randomUUID();
  return { ...registration, id, name: registration.name ?? `Résidence ${id.slice(0, 8)}` };
}

/**
 * Registers a building through the API, as a syndic of `org` (ORG_A by default), and returns its
 * id: uploads go only into registered buildings.
 */
export async function registerBuilding(fixture: ServiceFixture, registration: BuildingRegistration & { org?: string } = {}): Promise<string> {
  const { org, ...rest } = registration;
  const body = bodyOf(rest);
  const token = await fixture.token('syndic', { org: org ?? ORG_A });
  const response = await fixture.service.app.inject({ method: 'POST', url: '/api/v1/buildings', payload: body, headers: { authorization: `Bearer ${token}` } });
  expect(response.statusCode, response.body).toBe(201);
  return body.id;
}

/** Registers a building on a listening docstore (a `serve` child, a benchmark's server) with a syndic's token; returns its id. */
export async function registerBuildingAt(baseUrl: string, token: string, registration: BuildingRegistration = {}): Promise<string> {
  const body = bodyOf(registration);
  const response = await fetch(new URL('/api/v1/buildings', baseUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`registering building ${body.id} answered ${response.status}: ${await response.text()}`);
  return body.id;
}
