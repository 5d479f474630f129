import type { Browser, BrowserContext, CDPSession, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document, ProtectedDocument } from '../../src/shared/document.js';
import type { DocumentVersion } from '../../src/shared/document-version.js';
import { CATALOGUES } from '../../web/src/i18n/index.js';
import { launchChromium } from '../support/browser.js';
import { registerBuildingAt } from '../support/buildings.js';
import { startCuttableProxy } from '../support/cuttable-proxy.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { sha256 } from '../support/streams.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';
import { documentAction } from './page-checks.js';

const en = CATALOGUES['en-BE'];
const fill = (text: string, values: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));
const MiB = 1024 * 1024;

/** A console page on a building's documents, and its own CDP session (network throttling, offline). */
interface ConsolePage {
  page: Page;
  cdp: CDPSession;
  /** Every POST the page sends to the API (method and path), tus creations with their metadata decoded. */
  posts: { path: string; metadata?: Record<string, string> }[];
}

/** tus `Upload-Metadata` (`key base64,key base64`) decoded. */
function decodeMetadata(header: string): Record<string, string> {
  return Object.fromEntries(header.split(',').map((pair) => pair.trim().split(' ')).map(([key, value]) => [key, Buffer.from(value ?? '', 'base64').toString('utf8')]));
}

// Issue 20: every upload of the console (new documents, contracts with an end date, new versions)
// goes through tus, survives a connection cut mid-request and a page reload.
for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`resumable uploads in the console (Debian's chromium) on ${pairName}`, { timeout: 240_000 }, () => {
    let fixture: ServiceFixture;
    let browser: Browser;
    let context: BrowserContext;
    let main: ConsolePage;
    let baseUrl: string;
    let building: string;
    let syndic: string;

    /** The console served from `origin` (docstore itself, or a proxy in front of it), signed in, on the building. */
    async function consolePage(on: BrowserContext, origin: string): Promise<ConsolePage> {
      const page = await on.newPage();
      const posts: ConsolePage['posts'] = [];
      page.on('request', (request) => {
        if (request.method() !== 'POST' || !request.url().includes('/api/v1/')) return;
        const metadata = request.headers()['upload-metadata'];
        posts.push({ path: new URL(request.url()).pathname, ...(metadata === undefined ? {} : { metadata: decodeMetadata(metadata) }) });
      });
      await page.goto(`${origin}/#token=${syndic}`);
      await page.goto(`${origin}/#/buildings/${building}`);
      const cdp = await on.newCDPSession(page);
      await cdp.send('Network.enable');
      return { page, cdp, posts };
    }

    beforeAll(async () => {
      [fixture, browser] = await Promise.all([factory({ listen: true, env: { MAX_UPLOAD_BYTES: String(64 * MiB) } }), launchChromium()]);
      baseUrl = fixture.baseUrl as string;
      syndic = await fixture.token('syndic', { sub: 'syndic-tus' });
      building = await registerBuildingAt(baseUrl, syndic, { name: 'Résidence Reprise' });
      context = await browser.newContext({ locale: 'en-BE', viewport: { width: 1280, height: 860 } });
      context.setDefaultTimeout(60_000);
      main = await consolePage(context, baseUrl);
    }, 660_000);
    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
    });

    /** Upload throttling (bytes per second, -1: none) of a page, online. */
    const throttle = ({ cdp }: ConsolePage, bytesPerSecond: number) => cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
    const entry = ({ page }: ConsolePage, file: string) => page.locator(`li.upload-entry[data-file="${file}"]`);
    /** The bytes sent so far, as the entry's progress bar shows them. */
    const progressOf = (on: ConsolePage, file: string) => entry(on, file).locator('progress').evaluate((bar: HTMLProgressElement) => bar.value);
    const api = async <T,>(path: string): Promise<T> => {
      const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${syndic}` } });
      expect(response.status, path).toBe(200);
      return (await response.json()) as T;
    };

    /** Puts a file in the upload panel (opened if needed), not sent yet. */
    async function add({ page }: ConsolePage, file: string, content: Buffer): Promise<void> {
      // The panel stays open between uploads; the button toggles it.
      if ((await page.locator('#upload-files').count()) === 0) await page.getByRole('button', { name: en['upload.open'], exact: true }).click();
      await page.locator('#upload-files').setInputFiles([{ name: file, mimeType: 'application/pdf', buffer: content }]);
      await page.getByLabel(fill(en['upload.fileTitle'], { file })).waitFor();
    }

    async function choose(on: ConsolePage, file: string, content: Buffer): Promise<void> {
      await add(on, file, content);
      await on.page.getByRole('button', { name: fill(en['upload.start'], { count: '1' }) }).click();
    }

    /** The document stored under this file name. */
    async function storedDocument(file: string): Promise<Document> {
      const document = (await api<{ items: Document[] }>(`/api/v1/buildings/${building}/documents`)).items.find((d) => d.fileName === file);
      expect(document, file).toBeDefined();
      return document as Document;
    }

    /** The bytes of the document stored under this file name, downloaded through the API and hashed. */
    async function storedSha256(file: string): Promise<string> {
      const content = await fetch(`${baseUrl}/api/v1/documents/${(await storedDocument(file)).id}/content`, { headers: { authorization: `Bearer ${syndic}` } });
      expect(content.status).toBe(200);
      return sha256(new Uint8Array(await content.arrayBuffer()));
    }

    async function finished({ page }: ConsolePage, title: string): Promise<void> {
      await page.getByText(fill(en['upload.finished'], { titles: title })).waitFor({ timeout: 180_000 });
    }

    /** No multipart upload: every POST since `from` is a tus creation. */
    const onlyTusSince = (on: ConsolePage, from: number) => expect(on.posts.slice(from).map((post) => post.path)).toEqual(on.posts.slice(from).map(() => '/api/v1/uploads'));

    it('uploads through tus: the document holds the very bytes chosen', async () => {
      const content = pdfOfSize(3 * MiB + 17);
      const from = main.posts.length;
      await choose(main, 'small.pdf', content);
      await finished(main, 'small.pdf');
      expect(await storedSha256('small.pdf')).toBe(sha256(content));
      onlyTusSince(main, from);
    });

    it('a contract with an end date goes through tus with contractEndDate in its metadata: end date and retention as chosen', async () => {
      const content = pdfOfSize(MiB + 5);
      const file = 'contrat-ascenseur.pdf';
      const from = main.posts.length;
      await add(main, file, content);
      await main.page.getByLabel(fill(en['upload.fileType'], { file })).selectOption('contract');
      await main.page.getByLabel(fill(en['upload.fileDate'], { file })).fill('2026-01-15');
      await main.page.getByLabel(fill(en['upload.fileContractEnd'], { file })).fill('2027-09-30');
      await main.page.getByRole('button', { name: fill(en['upload.start'], { count: '1' }) }).click();
      await finished(main, file);
      onlyTusSince(main, from);
      expect(main.posts.slice(from).map((post) => post.metadata)).toEqual([{ building, type: 'contract', title: file, filename: file, documentDate: '2026-01-15', contractEndDate: '2027-09-30', sha256: sha256(content) }]);
      const stored = await api<ProtectedDocument>(`/api/v1/documents/${(await storedDocument(file)).id}`);
      expect({ type: stored.type, documentDate: stored.documentDate, contractEndDate: stored.contractEndDate, retention: stored.retention }).toMatchObject({
        type: 'contract',
        documentDate: '2026-01-15',
        contractEndDate: '2027-09-30',
        retention: { retainUntil: '2037-09-30', basis: 'contract_end' },
      });
      expect(await storedSha256(file)).toBe(sha256(content));
    });

    it("a new version from the versions dialog goes through tus with the document's id: version 2 holds its bytes", async () => {
      const first = pdfOfSize(40_000);
      const { payload, headers } = documentUpload({ type: 'contract', title: 'Contrat chauffage', fileName: 'chauffage-2025.pdf', content: first });
      const created = await fetch(`${baseUrl}/api/v1/buildings/${building}/documents`, { method: 'POST', body: new Uint8Array(payload), headers: { ...headers, authorization: `Bearer ${syndic}` } });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as Document;
      const second = pdfOfSize(2 * MiB + 3);
      await main.page.reload();
      const row = main.page.locator(`tr[data-document-id="${id}"]`);
      await row.waitFor();
      const from = main.posts.length;
      await (await documentAction(row, en['action.versions'])).click();
      const dialog = main.page.getByRole('dialog', { name: fill(en['versions.heading'], { title: 'Contrat chauffage' }) });
      await dialog.locator('tr[data-version="1"]').waitFor();
      await dialog.getByLabel(en['versions.file'], { exact: true }).setInputFiles({ name: 'chauffage-2026.pdf', mimeType: 'application/pdf', buffer: second });
      await dialog.getByRole('button', { name: en['versions.upload'], exact: true }).click();
      await dialog.getByText(fill(en['versions.uploaded'], { version: 2 })).waitFor({ timeout: 180_000 });
      onlyTusSince(main, from);
      expect(main.posts.slice(from).map((post) => post.metadata)).toEqual([{ documentId: id, filename: 'chauffage-2026.pdf', sha256: sha256(second) }]);
      const versions = (await api<{ items: DocumentVersion[] }>(`/api/v1/documents/${id}/versions`)).items;
      expect(versions.map((version) => [version.version, version.fileName, version.sha256])).toEqual([
        [2, 'chauffage-2026.pdf', sha256(second)],
        [1, 'chauffage-2025.pdf', sha256(first)],
      ]);
      await dialog.getByRole('button', { name: en['action.close'], exact: true }).click();
    });

    it('a connection cut in the middle of a request while the browser goes offline: back online, tus-js-client resumes by itself (no click) with the right bytes', async () => {
      // The console is loaded through a proxy in front of docstore: cutting it drops the request under
      // way (Chromium's offline emulation alone stalls a request already sent instead of failing it).
      const proxy = await startCuttableProxy(baseUrl);
      const offlineContext = await browser.newContext({ locale: 'en-BE', viewport: { width: 1280, height: 860 } });
      offlineContext.setDefaultTimeout(60_000);
      try {
        const on = await consolePage(offlineContext, proxy.url);
        const requests: string[] = [];
        const failed: string[] = [];
        const isUpload = (request: Request) => request.url().includes('/api/v1/uploads');
        on.page.on('request', (request) => void (isUpload(request) && requests.push(request.method())));
        on.page.on('requestfailed', (request) => void (isUpload(request) && failed.push(`${request.method()} ${request.failure()?.errorText}`)));
        const content = pdfOfSize(20 * MiB);
        await throttle(on, MiB);
        await choose(on, 'offline.pdf', content);
        // The first PATCH (5 MiB at 1 MiB/s) is under way: past 2 MiB sent, not answered yet.
        await expect.poll(async () => (await entry(on, 'offline.pdf').getAttribute('class')) === 'upload-entry sending' && (await progressOf(on, 'offline.pdf')) > 2 * MiB, { timeout: 120_000 }).toBe(true);
        const cutAt = requests.length;
        expect(requests.filter((method) => method === 'PATCH')).toHaveLength(1);
        expect(proxy.cut()).toBeGreaterThan(0);
        // This page's own CDP session throttles it, and its conditions win over the context's: both go offline.
        await offlineContext.setOffline(true);
        await on.cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
        // The PATCH under way failed on the cut; the next attempts fail offline; the console says it waits.
        await expect.poll(() => failed.length, { timeout: 60_000 }).toBeGreaterThan(0);
        // The cut itself, not the offline mode (ERR_CONNECTION_RESET, ERR_SOCKET_NOT_CONNECTED, … as it falls).
        expect(failed[0]).toMatch(/^PATCH net::ERR_(?!INTERNET_DISCONNECTED)/);
        await expect.poll(() => failed.some((failure) => failure.endsWith('net::ERR_INTERNET_DISCONNECTED')), { timeout: 60_000 }).toBe(true);
        await expect.poll(() => entry(on, 'offline.pdf').locator('.state').textContent(), { timeout: 60_000 }).toContain(en['upload.retrying'].split('{')[0]);
        proxy.restore();
        await offlineContext.setOffline(false);
        await throttle(on, -1);
        // Back online: tus-js-client's next attempt (retryDelays) asks the server's offset (HEAD) and goes on.
        await finished(on, 'offline.pdf');
        expect(requests.slice(cutAt)).toContain('HEAD');
        expect(requests.filter((method) => method === 'POST')).toHaveLength(1);
        expect(await storedSha256('offline.pdf')).toBe(sha256(content));
      } finally {
        await offlineContext.close();
        await proxy.close();
      }
    });

    it('resumes after a page reload from where the server stands (offset > 0), and finishes', async () => {
      const content = pdfOfSize(20 * MiB);
      const { page } = main;
      await throttle(main, 2 * MiB);
      const created = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().endsWith('/api/v1/uploads'));
      await choose(main, 'reload.pdf', content);
      const location = new URL((await (await created).headerValue('location')) ?? '', baseUrl).href;
      const headers = { authorization: `Bearer ${syndic}`, 'tus-resumable': '1.0.0' };
      const serverOffset = async () => Number((await fetch(location, { method: 'HEAD', headers })).headers.get('upload-offset') ?? '0');
      await expect.poll(serverOffset, { timeout: 120_000 }).toBeGreaterThan(0);
      await page.reload();
      await throttle(main, -1);
      const patches: number[] = [];
      const recordPatch = (request: Request) => {
        if (request.method() === 'PATCH' && request.url() === location) patches.push(Number(request.headers()['upload-offset']));
      };
      page.on('request', recordPatch);
      await choose(main, 'reload.pdf', content);
      await finished(main, 'reload.pdf');
      page.off('request', recordPatch);
      expect(patches[0]).toBeGreaterThan(0);
      expect(await storedSha256('reload.pdf')).toBe(sha256(content));
      // The stored fingerprint is gone once the upload is done.
      expect(await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('tus::')))).toEqual([]);
    });

    it('pause stops sending (nothing goes out, the server holds its offset) and resume finishes with the right bytes', async () => {
      const content = pdfOfSize(12 * MiB);
      const { page } = main;
      const requests: string[] = [];
      const recordUpload = (request: Request) => void (request.url().includes('/api/v1/uploads') && requests.push(request.method()));
      page.on('request', recordUpload);
      try {
        await throttle(main, MiB);
        const created = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().endsWith('/api/v1/uploads'));
        await choose(main, 'pause.pdf', content);
        const location = new URL((await (await created).headerValue('location')) ?? '', baseUrl).href;
        const serverOffset = async () => Number((await fetch(location, { method: 'HEAD', headers: { authorization: `Bearer ${syndic}`, 'tus-resumable': '1.0.0' } })).headers.get('upload-offset') ?? '0');
        // Past the first 5 MiB chunk, in the middle of the second.
        await expect.poll(async () => (await serverOffset()) > 0 && (await progressOf(main, 'pause.pdf')) > 6 * MiB, { timeout: 120_000 }).toBe(true);
        await entry(main, 'pause.pdf').locator('[data-action="pause-upload"]').click();
        await expect.poll(() => entry(main, 'pause.pdf').locator('.state').textContent()).toContain(en['upload.paused'].split('{')[0]);
        const pausedAt = await serverOffset();
        const sentWhenPaused = requests.length;
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        // Nothing went out and nothing arrived: the offset the server holds is where the pause left it.
        expect(requests.length).toBe(sentWhenPaused);
        expect(await serverOffset()).toBe(pausedAt);
        expect(await entry(main, 'pause.pdf').locator('[data-action="resume-upload"]').count()).toBe(1);
        expect(await entry(main, 'pause.pdf').locator('[data-action="pause-upload"]').count()).toBe(0);
        await throttle(main, -1);
        await entry(main, 'pause.pdf').locator('[data-action="resume-upload"]').click();
        await finished(main, 'pause.pdf');
        // Resumed from the server's offset (tus-js-client asks it with HEAD), on the same upload.
        expect(requests.slice(sentWhenPaused)).toContain('HEAD');
        expect(requests.filter((method) => method === 'POST')).toHaveLength(1);
        expect(await storedSha256('pause.pdf')).toBe(sha256(content));
      } finally {
        page.off('request', recordUpload);
        await throttle(main, -1);
      }
    });
  });
}
