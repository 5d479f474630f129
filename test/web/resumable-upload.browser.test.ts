import type { Browser, BrowserContext, CDPSession, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { CATALOGUES } from '../../web/src/i18n/index.js';
import { launchChromium } from '../support/browser.js';
import { registerBuildingAt } from '../support/buildings.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { sha256 } from '../support/streams.js';
import { pdfOfSize } from '../support/upload-request.js';

const en = CATALOGUES['en-BE'];
const fill = (text: string, values: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
const MiB = 1024 * 1024;

// Issue 20: the console's uploads go through tus, survive a lost connection and a page reload.
for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`resumable uploads in the console (Debian's chromium) on ${pairName}`, { timeout: 180_000 }, () => {
    let fixture: ServiceFixture;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let cdp: CDPSession;
    let baseUrl: string;
    let building: string;
    let syndic: string;

    beforeAll(async () => {
      [fixture, browser] = await Promise.all([factory({ listen: true, env: { MAX_UPLOAD_BYTES: String(64 * MiB) } }), launchChromium()]);
      baseUrl = fixture.baseUrl as string;
      syndic = await fixture.token('syndic', { sub: 'syndic-tus' });
      building = await registerBuildingAt(baseUrl, syndic, { name: 'Résidence Reprise' });
      context = await browser.newContext({ locale: 'en-BE', viewport: { width: 1280, height: 860 } });
      context.setDefaultTimeout(30_000);
      page = await context.newPage();
      await page.goto(`${baseUrl}/#token=${syndic}`);
      await page.goto(`${baseUrl}/#/buildings/${building}`);
      cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
    }, 660_000);
    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
    });

    const throttle = (bytesPerSecond: number) => cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
    const entry = (file: string) => page.locator(`li.upload-entry[data-file="${file}"]`);
    /** The bytes sent so far, as the entry's progress bar shows them. */
    const progressOf = (file: string) => entry(file).locator('progress').evaluate((bar: HTMLProgressElement) => bar.value);

    async function choose(file: string, content: Buffer): Promise<void> {
      // The panel stays open between uploads; the button toggles it.
      if ((await page.locator('#upload-files').count()) === 0) await page.getByRole('button', { name: en['upload.open'], exact: true }).click();
      await page.locator('#upload-files').setInputFiles([{ name: file, mimeType: 'application/pdf', buffer: content }]);
      await page.getByRole('button', { name: fill(en['upload.start'], { count: '1' }) }).click();
    }

    /** The document stored under this file name, its bytes downloaded through the API and hashed. */
    async function storedSha256(file: string): Promise<string> {
      const response = await fetch(`${baseUrl}/api/v1/buildings/${building}/documents`, { headers: { authorization: `Bearer ${syndic}` } });
      const document = ((await response.json()) as { items: Document[] }).items.find((d) => d.fileName === file);
      expect(document, file).toBeDefined();
      const content = await fetch(`${baseUrl}/api/v1/documents/${document?.id}/content`, { headers: { authorization: `Bearer ${syndic}` } });
      expect(content.status).toBe(200);
      return sha256(new Uint8Array(await content.arrayBuffer()));
    }

    async function finished(title: string): Promise<void> {
      await page.getByText(fill(en['upload.finished'], { titles: title })).waitFor({ timeout: 120_000 });
    }

    it('uploads through tus: the document holds the very bytes chosen', async () => {
      const content = pdfOfSize(3 * MiB + 17);
      await choose('small.pdf', content);
      await finished('small.pdf');
      expect(await storedSha256('small.pdf')).toBe(sha256(content));
    });

    it('goes on by itself when the network comes back after going offline mid-upload', async () => {
      const content = pdfOfSize(20 * MiB);
      await throttle(MiB);
      await choose('offline.pdf', content);
      await expect.poll(async () => (await entry('offline.pdf').getAttribute('class')) === 'upload-entry sending' && (await progressOf('offline.pdf')) > 2 * MiB, { timeout: 60_000 }).toBe(true);
      // Chromium's offline emulation stalls a request already under way instead of failing it: the
      // upload is paused (its request dropped), the browser goes offline, and the upload resumed.
      const failed: string[] = [];
      const recordFailure = (request: Request) => void (request.url().includes('/api/v1/uploads') && failed.push(request.method()));
      page.on('requestfailed', recordFailure);
      await entry('offline.pdf').getByRole('button', { name: en['upload.pause'] }).click();
      // This page's own CDP session throttles it, and its conditions win over the context's: both go offline.
      await context.setOffline(true);
      await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      try {
        await entry('offline.pdf').getByRole('button', { name: en['upload.resume'] }).click();
        // Its requests fail, and the console says it waits for the connection.
        await expect.poll(() => failed.length, { timeout: 60_000 }).toBeGreaterThan(0);
        await expect
          .poll(() => entry('offline.pdf').locator('.state').textContent(), { timeout: 60_000 })
          .toContain(en['upload.retrying'].split('{')[0]);
      } finally {
        await throttle(-1);
        await context.setOffline(false);
        page.off('requestfailed', recordFailure);
      }
      // Back online: tus-js-client's next attempt (retryDelays) asks the server's offset and goes on, with no click.
      await finished('offline.pdf');
      expect(await storedSha256('offline.pdf')).toBe(sha256(content));
    });

    it('resumes after a page reload from where the server stands (offset > 0), and finishes', async () => {
      const content = pdfOfSize(20 * MiB);
      await throttle(2 * MiB);
      const created = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().endsWith('/api/v1/uploads'));
      await choose('reload.pdf', content);
      const location = new URL((await (await created).headerValue('location')) ?? '', baseUrl).href;
      const headers = { authorization: `Bearer ${syndic}`, 'tus-resumable': '1.0.0' };
      const serverOffset = async () => Number((await fetch(location, { method: 'HEAD', headers })).headers.get('upload-offset') ?? '0');
      await expect.poll(serverOffset, { timeout: 60_000 }).toBeGreaterThan(0);
      await page.reload();
      await throttle(-1);
      const patches: number[] = [];
      const recordPatch = (request: Request) => {
        if (request.method() === 'PATCH' && request.url() === location) patches.push(Number(request.headers()['upload-offset']));
      };
      page.on('request', recordPatch);
      await choose('reload.pdf', content);
      await finished('reload.pdf');
      page.off('request', recordPatch);
      expect(patches[0]).toBeGreaterThan(0);
      expect(await storedSha256('reload.pdf')).toBe(sha256(content));
      // The stored fingerprint is gone once the upload is done.
      expect(await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('tus::')))).toEqual([]);
    });
  });
}
