import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { s3PostgresService, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';
import { registerBuilding } from '../support/buildings.js';

describe('scale-out: two instances on the same PostgreSQL and S3', () => {
  let first: ServiceFixture;
  let second: ServiceFixture;

  beforeAll(async () => {
    first = await s3PostgresService({ listen: true });
    second = await s3PostgresService({ listen: true, shareWith: first });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('serves each other’s documents over real sockets', async () => {
    const token = await first.token('syndic');
    const headers = { authorization: `Bearer ${token}` };
    const building = await registerBuilding(first);
    const bytes = pdfOfSize(300_000);
    const { payload, headers: formHeaders } = documentUpload({ content: bytes, type: 'other' });
    const created = await fetch(`${first.baseUrl}/api/v1/buildings/${building}/documents`, { method: 'POST', body: payload, headers: { ...formHeaders, ...headers } });
    expect(created.status).toBe(201);
    const document = (await created.json()) as Document;

    const listed = await fetch(`${second.baseUrl}/api/v1/buildings/${building}/documents`, { headers });
    expect(((await listed.json()) as { items: Document[] }).items.map((d) => d.id)).toEqual([document.id]);
    const content = await fetch(`${second.baseUrl}/api/v1/documents/${document.id}/content`, { headers });
    expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).toBe(true);

    const deleted = await fetch(`${second.baseUrl}/api/v1/documents/${document.id}`, { method: 'DELETE', headers });
    expect(deleted.status).toBe(204);
    expect((await fetch(`${first.baseUrl}/api/v1/documents/${document.id}`, { headers })).status).toBe(404);
    const restored = await fetch(`${first.baseUrl}/api/v1/documents/${document.id}/restore`, { method: 'POST', headers });
    expect(restored.status).toBe(200);
    const link = (await (
      await fetch(`${first.baseUrl}/api/v1/documents/${document.id}/download-url`, { method: 'POST', body: '{}', headers: { ...headers, 'content-type': 'application/json' } })
    ).json()) as { url: string };
    expect(Buffer.from(await (await fetch(link.url)).arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('keeps cursors valid across instances', async () => {
    const token = await first.token('syndic');
    const headers = { authorization: `Bearer ${token}` };
    const building = await registerBuilding(first);
    for (let i = 0; i < 3; i++) {
      const { payload, headers: formHeaders } = documentUpload({ title: `doc ${i}` });
      const target = i % 2 === 0 ? first : second;
      expect((await fetch(`${target.baseUrl}/api/v1/buildings/${building}/documents`, { method: 'POST', body: payload, headers: { ...formHeaders, ...headers } })).status).toBe(201);
    }
    const page = (await (await fetch(`${first.baseUrl}/api/v1/buildings/${building}/documents?limit=2`, { headers })).json()) as { items: Document[]; nextCursor: string };
    const next = (await (await fetch(`${second.baseUrl}/api/v1/buildings/${building}/documents?limit=2&cursor=${page.nextCursor}`, { headers })).json()) as { items: Document[] };
    expect([...page.items, ...next.items].map((d) => d.title)).toEqual(['doc 2', 'doc 1', 'doc 0']);
  });
});
