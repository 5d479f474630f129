import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { registerBuilding } from '../support/buildings.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload } from '../support/upload-request.js';

const ALLOWED = 'https://app.example.be';
const OTHER = 'https://evil.example.com';

describe('DOCSTORE_CORS_ORIGINS', () => {
  it('takes comma-separated origins, none by default, and refuses anything but an origin', () => {
    const base = { DOCSTORE_JWT_SECRET: 'x'.repeat(40), DATA_DIR: '/tmp/docstore-cors-config' };
    expect(loadConfig(base).http.corsOrigins).toEqual([]);
    expect(loadConfig({ ...base, DOCSTORE_CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` }).http.corsOrigins).toEqual([ALLOWED, 'http://localhost:5173']);
    expect(() => loadConfig({ ...base, DOCSTORE_CORS_ORIGINS: 'https://app.example.be/path' })).toThrow(/DOCSTORE_CORS_ORIGINS/);
  });
});

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`calls from another origin on ${pairName}`, () => {
    let fixture: ServiceFixture;
    let token: string;

    beforeAll(async () => {
      fixture = await factory({ listen: true, env: { DOCSTORE_CORS_ORIGINS: ALLOWED } });
      token = await fixture.token('syndic', { sub: 'syndic-1' });
    });
    afterAll(async () => fixture?.close());

    it('answers the preflights of an allowed origin for the API and the tus endpoint, and gives a disallowed one no CORS header', async () => {
      for (const url of ['/api/v1/buildings', '/api/v1/uploads', '/api/v1/uploads/0123456789abcdef0123456789abcdef']) {
        const allowed = await fetch(`${fixture.baseUrl}${url}`, {
          method: 'OPTIONS',
          headers: { origin: ALLOWED, 'access-control-request-method': url.includes('uploads') ? 'PATCH' : 'POST', 'access-control-request-headers': 'authorization, tus-resumable, upload-offset, upload-checksum, content-type' },
        });
        expect(allowed.status, url).toBeLessThan(300);
        expect(allowed.headers.get('access-control-allow-origin'), url).toBe(ALLOWED);
        expect(allowed.headers.get('access-control-allow-credentials'), url).toBeNull();
        // The tus checksum extension's header may be sent from the browser.
        if (url.includes('uploads')) expect(allowed.headers.get('access-control-allow-headers'), url).toMatch(/upload-checksum/i);
        const refused = await fetch(`${fixture.baseUrl}${url}`, { method: 'OPTIONS', headers: { origin: OTHER, 'access-control-request-method': 'POST' } });
        expect(refused.headers.get('access-control-allow-origin'), url).toBeNull();
      }
    });

    it('an allowed origin reads the API and tus answers with their headers exposed; another origin gets none', async () => {
      const building = await registerBuilding(fixture);
      const listed = await fetch(`${fixture.baseUrl}/api/v1/buildings/${building}/documents`, { headers: { origin: ALLOWED, authorization: `Bearer ${token}` } });
      expect(listed.status).toBe(200);
      expect(listed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(listed.headers.get('access-control-expose-headers')).toMatch(/Content-Disposition/);
      const metadata = Object.entries({ building, type: 'invoice', title: 'Facture', filename: 'f.pdf' })
        .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
        .join(',');
      const created = await fetch(`${fixture.baseUrl}/api/v1/uploads`, {
        method: 'POST',
        headers: { origin: ALLOWED, authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-length': '1000', 'upload-metadata': metadata },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(created.headers.get('access-control-expose-headers')).toMatch(/Location/);
      expect(created.headers.get('access-control-expose-headers')).toMatch(/Docstore-Document-Id/);
      const elsewhere = await fetch(`${fixture.baseUrl}/api/v1/buildings/${building}/documents`, { headers: { origin: OTHER, authorization: `Bearer ${token}` } });
      expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    });

    it("an allowed origin reads a document's content, a version's and a signed link's (answers written on the raw response carry the CORS headers too)", async () => {
      const building = await registerBuilding(fixture);
      const { payload, headers } = documentUpload({ fileName: 'facture.pdf' });
      const uploaded = await fetch(`${fixture.baseUrl}/api/v1/buildings/${building}/documents`, { method: 'POST', body: new Uint8Array(payload), headers: { ...headers, authorization: `Bearer ${token}` } });
      expect(uploaded.status).toBe(201);
      const { id } = (await uploaded.json()) as { id: string };
      for (const path of [`/api/v1/documents/${id}/content`, `/api/v1/documents/${id}/versions/1/content`]) {
        const read = await fetch(`${fixture.baseUrl}${path}`, { headers: { origin: ALLOWED, authorization: `Bearer ${token}` } });
        expect(read.status, path).toBe(200);
        expect(read.headers.get('access-control-allow-origin'), path).toBe(ALLOWED);
        expect(read.headers.get('access-control-expose-headers'), path).toMatch(/ETag/);
        expect(read.headers.get('content-disposition'), path).toContain('facture.pdf');
        await read.arrayBuffer();
        const elsewhere = await fetch(`${fixture.baseUrl}${path}`, { headers: { origin: OTHER, authorization: `Bearer ${token}` } });
        expect(elsewhere.headers.get('access-control-allow-origin'), path).toBeNull();
        await elsewhere.arrayBuffer();
      }
      const link = await fetch(`${fixture.baseUrl}/api/v1/documents/${id}/download-url`, { method: 'POST', headers: { origin: ALLOWED, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      const { url } = (await link.json()) as { url: string };
      // docstore signs and serves its links itself (documentLink); a bucket's presigned URL would answer with the bucket's CORS.
      expect(url.startsWith(fixture.baseUrl ?? '')).toBe(true);
      const followed = await fetch(url, { headers: { origin: ALLOWED } });
      expect(followed.status).toBe(200);
      expect(followed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      await followed.arrayBuffer();
    });
  });
}
