import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { launchChromium } from '../support/browser.js';
import { registerBuildingAt } from '../support/buildings.js';
import { startOriginPage, type OriginPage } from '../support/origin-page.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { sha256 } from '../support/streams.js';
import { pdfOfSize } from '../support/upload-request.js';

const MiB = 1024 * 1024;

/** What a page's tus upload came to: the document its last answer names, or the error tus-js-client gave. */
type PageUpload = { ok: true; url: string; documentId: string; version: string } | { ok: false; status: number; message: string };

/** What a page's download through the API came to (or the error fetch threw). */
type PageDownload = { ok: true; status: number; sha256: string; disposition: string | null; etag: string | null } | { ok: false; message: string };

/**
 * Issue 20, calls from another origin: the property-management application's own page (another
 * origin, listed in DOCSTORE_CORS_ORIGINS) uploads through tus with `tus-js-client` and downloads
 * through the API with its bearer token, in a real browser that enforces CORS; a page of an origin
 * not listed is refused by the browser, and nothing is stored.
 */
for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`uploads from another origin (Debian's chromium) on ${pairName}`, { timeout: 180_000 }, () => {
    // Two chunks of 5 MiB: a creation, then PATCHes, each a CORS request with its preflight.
    const content = pdfOfSize(6 * MiB + 123);
    let allowed: OriginPage;
    let other: OriginPage;
    let fixture: ServiceFixture;
    let browser: Browser;
    let baseUrl: string;
    let building: string;
    let syndic: string;

    beforeAll(async () => {
      [allowed, other] = await Promise.all([startOriginPage({ 'scan.pdf': content }), startOriginPage({ 'scan.pdf': content })]);
      [fixture, browser] = await Promise.all([factory({ listen: true, env: { DOCSTORE_CORS_ORIGINS: allowed.origin, MAX_UPLOAD_BYTES: String(64 * MiB) } }), launchChromium()]);
      baseUrl = fixture.baseUrl as string;
      syndic = await fixture.token('syndic', { sub: 'syndic-cors' });
      building = await registerBuildingAt(baseUrl, syndic, { name: 'Résidence Autre Origine' });
    }, 660_000);
    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
      await Promise.all([allowed?.close(), other?.close()]);
    });

    /** A page of `origin` with tus-js-client loaded; the browser's console messages collected. */
    async function pageOf(origin: string): Promise<{ page: Page; messages: string[] }> {
      const context = await browser.newContext({ locale: 'en-BE' });
      context.setDefaultTimeout(60_000);
      const page = await context.newPage();
      const messages: string[] = [];
      page.on('console', (message) => void messages.push(message.text()));
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => 'tus' in window);
      return { page, messages };
    }

    /** The page fetches its own file and sends it to docstore with tus-js-client (no retries: a refusal is final). */
    function uploadFrom(page: Page, metadata: Record<string, string>): Promise<PageUpload> {
      return page.evaluate(
        async ({ endpoint, authorization, metadata, chunkSize }) => {
          const tus = (window as unknown as { tus: typeof import('tus-js-client') }).tus;
          const file = await (await fetch('/files/scan.pdf')).blob();
          return new Promise<PageUpload>((resolve) => {
            const upload = new tus.Upload(file, {
              endpoint,
              headers: { authorization },
              metadata,
              chunkSize,
              retryDelays: null,
              onSuccess: ({ lastResponse }) =>
                resolve({ ok: true, url: upload.url ?? '', documentId: lastResponse.getHeader('Docstore-Document-Id') ?? '', version: lastResponse.getHeader('Docstore-Document-Version') ?? '' }),
              onError: (error) => resolve({ ok: false, status: error instanceof tus.DetailedError ? (error.originalResponse?.getStatus() ?? 0) : 0, message: String(error) }),
            });
            upload.start();
          });
        },
        { endpoint: `${baseUrl}/api/v1/uploads`, authorization: `Bearer ${syndic}`, metadata, chunkSize: 5 * MiB },
      );
    }

    /** The page downloads a document's content through the API and hashes it (Web Crypto). */
    function downloadFrom(page: Page, documentId: string, credentials: RequestCredentials): Promise<PageDownload> {
      return page.evaluate(
        async ({ url, authorization, credentials }) => {
          try {
            const response = await fetch(url, { headers: { authorization }, credentials });
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await response.arrayBuffer()));
            const sha256 = [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
            return { ok: true, status: response.status, sha256, disposition: response.headers.get('content-disposition'), etag: response.headers.get('etag') };
          } catch (error) {
            return { ok: false, message: String(error) };
          }
        },
        { url: `${baseUrl}/api/v1/documents/${documentId}/content`, authorization: `Bearer ${syndic}`, credentials },
      );
    }

    async function documentsOfBuilding(): Promise<Document[]> {
      const response = await fetch(`${baseUrl}/api/v1/buildings/${building}/documents`, { headers: { authorization: `Bearer ${syndic}` } });
      expect(response.status).toBe(200);
      return ((await response.json()) as { items: Document[] }).items;
    }

    it('a page of an allowed origin uploads through tus with tus-js-client and downloads the document with its bearer token: the very bytes', async () => {
      const { page, messages } = await pageOf(allowed.origin);
      try {
        const uploaded = await uploadFrom(page, { building, type: 'contract', title: 'Contrat de nettoyage', filename: 'nettoyage.pdf', sha256: sha256(content) });
        // tus-js-client read Location (the upload's URL) and the document's headers: exposed to this origin.
        expect(uploaded).toMatchObject({ ok: true, version: '1' });
        if (!uploaded.ok) return;
        expect(uploaded.url.startsWith(`${baseUrl}/api/v1/uploads/`)).toBe(true);
        const downloaded = await downloadFrom(page, uploaded.documentId, 'omit');
        expect(downloaded, messages.join("\n")).toMatchObject({ ok: true, status: 200, sha256: sha256(content) });
        if (downloaded.ok) expect(downloaded.disposition).toContain('nettoyage.pdf');
        // Credentials are never allowed (no Access-Control-Allow-Credentials): a page that sends its cookies is refused.
        expect(await downloadFrom(page, uploaded.documentId, 'include')).toMatchObject({ ok: false, message: expect.stringContaining('Failed to fetch') });
        const [document] = await documentsOfBuilding();
        expect(document).toMatchObject({ id: uploaded.documentId, fileName: 'nettoyage.pdf', size: content.length, sha256: sha256(content) });
      } finally {
        await page.context().close();
      }
    });

    it('a page of an origin not in DOCSTORE_CORS_ORIGINS is refused by the browser (CORS): no upload, no reading, nothing stored', async () => {
      const before = (await documentsOfBuilding()).map((document) => document.id);
      const { page, messages } = await pageOf(other.origin);
      const failed: string[] = [];
      page.on('requestfailed', (request) => void (request.url().startsWith(baseUrl) && failed.push(`${request.method()} ${request.failure()?.errorText}`)));
      try {
        const uploaded = await uploadFrom(page, { building, type: 'invoice', title: 'Facture refusée', filename: 'refusee.pdf', sha256: sha256(content) });
        // No answer reached the page: tus-js-client saw a network failure (status 0), not docstore's answer.
        expect(uploaded).toMatchObject({ ok: false, status: 0 });
        const listed = await page.evaluate(
          async ({ url, authorization }) => {
            try {
              return `read ${(await fetch(url, { headers: { authorization } })).status}`;
            } catch (error) {
              return String(error);
            }
          },
          { url: `${baseUrl}/api/v1/buildings/${building}/documents`, authorization: `Bearer ${syndic}` },
        );
        expect(listed).toContain('Failed to fetch');
        expect(failed).toEqual(expect.arrayContaining(['POST net::ERR_FAILED', 'GET net::ERR_FAILED']));
        expect(messages.filter((message) => message.includes('blocked by CORS policy')).length).toBeGreaterThanOrEqual(2);
        expect((await documentsOfBuilding()).map((document) => document.id)).toEqual(before);
      } finally {
        await page.context().close();
      }
    });
  });
}
