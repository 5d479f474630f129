import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { translator, CATALOGUES } from '../../web/src/i18n/index.js';
import { allowedTypesText } from '../../web/src/upload-check.js';
import { launchChromium, pdfDocument, pngOf } from '../support/browser.js';
import { registerBuildingAt } from '../support/buildings.js';
import { ORG_A, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { pdfOfSize } from '../support/upload-request.js';
import { sha256 } from '../support/streams.js';
import { documentAction, tabTo } from './page-checks.js';

const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const MAX_UPLOAD_BYTES = 1024 * 1024;
const fr = CATALOGUES['fr-BE'];
const en = CATALOGUES['en-BE'];
const nl = CATALOGUES['nl-BE'];
const fill = (text: string, values: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');

// The local + SQLite pair drives every flow; S3 (RGW) + PostgreSQL repeats them (S3 presigned links, PostgreSQL listings).
for (const [pairName, factory] of SERVICE_PAIRS) {
  const shots = pairName.startsWith('local') ? 'local' : 's3';
  describe(`web console in Debian's chromium on ${pairName}`, { timeout: 120_000 }, () => {
    let fixture: ServiceFixture;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let baseUrl: string;
    const building = randomUUID();
    const minutes = pdfDocument('Proces-verbal de l assemblee generale 2026', 600 * 1024);
    const tooLarge = pdfOfSize(3 * MAX_UPLOAD_BYTES);
    const slow = pdfOfSize(900 * 1024);
    const facade = pngOf(64, 48, [30, 110, 200]);
    const shot = (name: string) => page.screenshot({ path: `${SCREENSHOTS}${shots}-${name}.png`, fullPage: true });

    async function apiDocuments(token: string, trash = false): Promise<Document[]> {
      const response = await fetch(`${baseUrl}/api/v1/buildings/${building}/${trash ? 'trash' : 'documents'}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      return ((await response.json()) as { items: Document[] }).items;
    }

    beforeAll(async () => {
      await mkdir(SCREENSHOTS, { recursive: true });
      [fixture, browser] = await Promise.all([factory({ listen: true, env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } }), launchChromium()]);
      baseUrl = fixture.baseUrl as string;
      context = await browser.newContext({ locale: 'fr-BE', acceptDownloads: true, viewport: { width: 1280, height: 860 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
      context.setDefaultTimeout(15_000);
      page = await context.newPage();
    }, 660_000);
    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
    });

    it('shows the sign-in page in the browser’s language (fr-BE), with the self-only CSP and no console error', async () => {
      const errors: string[] = [];
      page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
      page.on('pageerror', (error) => errors.push(error.message));
      const response = await page.goto(`${baseUrl}/`);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      await expect.poll(() => page.locator('h1').textContent()).toBe(fr['signIn.heading']);
      expect(await page.getAttribute('html', 'lang')).toBe('fr-BE');
      expect(await page.getByLabel(fr['signIn.token']).isVisible()).toBe(true);
      await shot('01-sign-in');
      expect(errors).toEqual([]);
    });

    it('signs in from a `docstore open` link: the token leaves the address bar for session storage', async () => {
      const token = await fixture.token('syndic', { sub: 'syndic-console' });
      await page.goto(`${baseUrl}/#token=${token}`);
      await page.getByRole('heading', { name: fr['buildings.heading'] }).waitFor();
      expect(page.url()).toBe(`${baseUrl}/`);
      expect(await page.evaluate(() => sessionStorage.getItem('docstore.token'))).toBe(token);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      expect(await page.getByText(fill(fr['app.role'], { role: fr['role.syndic'] })).isVisible()).toBe(true);
    });

    it('registers a building by name, address and financial-year end (with the management software’s id), and lists it by name', async () => {
      await page.getByRole('button', { name: fr['buildings.register'], exact: true }).click();
      await page.getByLabel(fr['buildingForm.name'], { exact: true }).fill('Résidence Les Tilleuls');
      await page.getByLabel(fr['buildingForm.street'], { exact: true }).fill('Rue des Tilleuls 4');
      await page.getByLabel(fr['buildingForm.postalCode'], { exact: true }).fill('1000');
      await page.getByLabel(fr['buildingForm.city'], { exact: true }).fill('Bruxelles');
      await page.getByLabel(fr['buildingForm.yearEndDay'], { exact: true }).fill('30');
      await page.getByLabel(fr['buildingForm.yearEndMonth'], { exact: true }).selectOption('6');
      await page.getByLabel(fr['buildingForm.id'], { exact: true }).fill(building);
      await shot('02-register-building');
      await page.getByRole('button', { name: fr['buildingForm.create'], exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Résidence Les Tilleuls' }).waitFor();
      expect(page.url()).toBe(`${baseUrl}/#/buildings/${building}`);
      expect(await page.locator('.building-header .meta').textContent()).toBe(`Rue des Tilleuls 4, 1000 Bruxelles · ${fill(fr['building.yearEnd'], { date: '30 juin' })}`);
      const link = page.locator(`ul.buildings a[href="#/buildings/${building}"]`);
      expect(await link.locator('.name').textContent()).toBe('Résidence Les Tilleuls');
      expect(await link.textContent()).toContain('Rue des Tilleuls 4, 1000 Bruxelles');
      const response = await fetch(`${baseUrl}/api/v1/buildings/${building}`, { headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(await response.json()).toMatchObject({ name: 'Résidence Les Tilleuls', address: { street: 'Rue des Tilleuls 4', postalCode: '1000', city: 'Bruxelles', country: 'BE' }, financialYearEnd: { month: 6, day: 30 } });
      // The same id again: the API's 409 in the user's language, nothing registered.
      await page.getByRole('button', { name: fr['buildings.register'], exact: true }).click();
      await page.getByLabel(fr['buildingForm.name'], { exact: true }).fill('Doublon');
      await page.getByLabel(fr['buildingForm.id'], { exact: true }).fill(building);
      await page.getByRole('button', { name: fr['buildingForm.create'], exact: true }).click();
      await page.getByText(fr['error.building.already_exists']).waitFor();
      await page.getByRole('button', { name: fr['action.cancel'], exact: true }).click();
      expect(await page.locator('ul.buildings li').count()).toBe(1);
    });

    it('uploads several files at once with progress; too large and not allowed files get clear errors and are not sent', async () => {
      await page.getByRole('button', { name: fr['upload.open'], exact: true }).click();
      await page.locator('#upload-files').setInputFiles([
        { name: 'PV AG 2026.pdf', mimeType: 'application/pdf', buffer: minutes },
        { name: 'scan-énorme.pdf', mimeType: 'application/pdf', buffer: tooLarge },
        { name: 'outil.exe', mimeType: 'application/octet-stream', buffer: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(2000, 7)]) },
      ]);
      // Drag and drop, as from a file manager.
      const dataTransfer = await page.evaluateHandle((bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], 'facade.png', { type: 'image/png' }));
        return transfer;
      }, [...facade]);
      await page.dispatchEvent('.dropzone', 'drop', { dataTransfer });
      const entry = (file: string) => page.locator(`li.upload-entry[data-file="${file}"]`);
      // Titles default to the file name; one is changed, with its type.
      expect(await page.getByLabel(fill(fr['upload.fileTitle'], { file: 'facade.png' })).inputValue()).toBe('facade.png');
      await page.getByLabel(fill(fr['upload.fileTitle'], { file: 'PV AG 2026.pdf' })).fill('Procès-verbal AG 2026');
      await page.getByLabel(fill(fr['upload.fileType'], { file: 'PV AG 2026.pdf' })).selectOption('meeting_minutes');
      await page.getByLabel(fill(fr['upload.fileTitle'], { file: 'facade.png' })).fill('Façade côté rue');
      await shot('02-upload-queue');
      // Every value the progress bars take is recorded; the network is slowed so that progress shows.
      await page.evaluate(() => {
        const seen: Record<string, number[]> = {};
        (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
        new MutationObserver(() => {
          for (const bar of document.querySelectorAll<HTMLProgressElement>('li.upload-entry progress')) {
            const file = bar.closest('li')?.getAttribute('data-file') ?? '?';
            const values = (seen[file] ??= []);
            if (values[values.length - 1] !== bar.value) values.push(bar.value);
          }
        }).observe(document.querySelector('.queue') as Node, { subtree: true, attributes: true, childList: true });
      });
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 400 * 1024 });
      // Every upload goes through tus (/api/v1/uploads), carrying the file's SHA-256 computed in the browser.
      const creations: Record<string, string>[] = [];
      const recordCreation = (request: Request) => {
        if (request.method() !== 'POST' || !request.url().endsWith('/api/v1/uploads')) return;
        const pairs = (request.headers()['upload-metadata'] ?? '').split(',').map((pair) => pair.trim().split(' '));
        creations.push(Object.fromEntries(pairs.map(([key, value]) => [key ?? '', Buffer.from(value ?? '', 'base64').toString('utf8')])));
      };
      page.on('request', recordCreation);
      // The file over the limit and the executable are refused before anything is sent.
      await page.getByRole('button', { name: fill(fr['upload.start'], { count: '2' }) }).click();
      // Once both are stored the panel resets: they leave the queue and one line names them.
      const finished = page.locator('section.upload p.ok[role="status"]');
      await finished.waitFor();
      const either = ['Procès-verbal AG 2026, Façade côté rue', 'Façade côté rue, Procès-verbal AG 2026'].map((titles) => fill(fr['upload.finished'], { titles }));
      expect(either).toContain(await finished.textContent());
      expect(await entry('PV AG 2026.pdf').count()).toBe(0);
      const limit = translator('fr-BE').size(MAX_UPLOAD_BYTES);
      await entry('scan-énorme.pdf').getByText(fill(fr['error.upload.too_large'], { size: limit })).waitFor();
      await entry('outil.exe').getByText(fill(fr['error.upload.unsupported_content'], { types: allowedTypesText(fixture.config.allowedMimeTypes) })).waitFor();
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await shot('03-upload-progress-and-errors');
      const seen = await page.evaluate(() => (window as unknown as { progressSeen: Record<string, number[]> }).progressSeen);
      const pdfProgress = seen['PV AG 2026.pdf'] ?? [];
      expect(pdfProgress.some((value) => value > 0 && value < minutes.length), `progress values: ${pdfProgress.join(', ')}`).toBe(true);
      expect(pdfProgress[pdfProgress.length - 1]).toBe(minutes.length);
      const stored = await apiDocuments(await fixture.token('syndic'));
      expect(stored.map((d) => [d.title, d.type, d.fileName]).sort()).toEqual([
        ['Façade côté rue', 'other', 'facade.png'],
        ['Procès-verbal AG 2026', 'meeting_minutes', 'PV AG 2026.pdf'],
      ]);
      expect(stored.find((d) => d.fileName === 'PV AG 2026.pdf')?.sha256).toBe(sha256(minutes));
      page.off('request', recordCreation);
      expect(creations.map((metadata) => [metadata.filename, metadata.building, metadata.sha256]).sort()).toEqual(
        [
          ['PV AG 2026.pdf', building, sha256(minutes)],
          ['facade.png', building, sha256(facade)],
        ].sort(),
      );
    });

    it('cancels an upload in flight: nothing is stored', async () => {
      await page.getByRole('button', { name: fr['upload.clear'] }).click();
      await page.locator('#upload-files').setInputFiles([{ name: 'lent.pdf', mimeType: 'application/pdf', buffer: slow }]);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 32 * 1024 });
      const created = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().endsWith('/api/v1/uploads'));
      await page.getByRole('button', { name: fill(fr['upload.start'], { count: '1' }) }).click();
      const location = new URL((await (await created).headerValue('location')) ?? '', baseUrl).href;
      const entry = page.locator('li.upload-entry[data-file="lent.pdf"]');
      await entry.getByRole('button', { name: fr['upload.cancel'] }).click();
      await entry.getByText(fr['upload.cancelled'], { exact: true }).waitFor();
      // Cancel terminates the tus upload (DELETE): its creator no longer finds it.
      const headers = { authorization: `Bearer ${await fixture.token('syndic', { sub: 'syndic-console' })}`, 'tus-resumable': '1.0.0' };
      await expect.poll(async () => (await fetch(location, { method: 'HEAD', headers })).status, { timeout: 15_000 }).toBe(404);
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
      expect((await apiDocuments(await fixture.token('syndic'))).map((d) => d.fileName).sort()).toEqual(['PV AG 2026.pdf', 'facade.png']);
      await page.getByRole('button', { name: fr['upload.open'], exact: true }).click();
    });

    it('lists newest first, filters by type and searches titles and file names', async () => {
      const rows = page.locator('table.documents tbody tr');
      await expect.poll(() => rows.count()).toBe(2);
      const titles = await page.locator('table.documents tbody th').allTextContents();
      const stored = await apiDocuments(await fixture.token('syndic'));
      expect(titles).toEqual(stored.map((d) => d.title));
      await page.locator('select[name="type"]').selectOption('meeting_minutes');
      await expect.poll(() => page.locator('table.documents tbody th').allTextContents()).toEqual(['Procès-verbal AG 2026']);
      await page.locator('select[name="type"]').selectOption('');
      await page.locator('input[name="q"]').fill('FACADE');
      await expect.poll(() => page.locator('table.documents tbody th').allTextContents()).toEqual(['Façade côté rue']);
      await page.locator('input[name="q"]').fill('');
      await expect.poll(() => rows.count()).toBe(2);
      await shot('04-documents');
    });

    it('previews the PDF and the image inline from their bytes', async () => {
      const row = (title: string) => page.locator('table.documents tbody tr', { hasText: title });
      await row('Procès-verbal AG 2026').getByRole('button', { name: fr['action.preview'] }).click();
      const frame = page.locator('dialog iframe.preview');
      await frame.waitFor();
      const src = (await frame.getAttribute('src')) ?? '';
      expect(src.startsWith('blob:')).toBe(true);
      const previewed = await page.evaluate(async (url) => [...new Uint8Array(await (await fetch(url)).arrayBuffer())], src);
      expect(sha256(Buffer.from(previewed))).toBe(sha256(minutes));
      await shot('05-preview-pdf');
      await page.getByRole('button', { name: fr['action.close'] }).click();
      await frame.waitFor({ state: 'detached' });
      await row('Façade côté rue').getByRole('button', { name: fr['action.preview'] }).click();
      const image = page.locator('dialog img.preview');
      await image.waitFor();
      await expect.poll(() => image.evaluate((element: HTMLImageElement) => [element.complete, element.naturalWidth, element.naturalHeight])).toEqual([true, 64, 48]);
      await shot('06-preview-image');
      await page.keyboard.press('Escape');
      await image.waitFor({ state: 'detached' });
    });

    it('downloads the original bytes and copies a time-limited link that works without a token', async () => {
      const row = page.locator('table.documents tbody tr', { hasText: 'Procès-verbal AG 2026' });
      const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: fr['action.download'] }).click()]);
      expect(download.suggestedFilename()).toBe('PV AG 2026.pdf');
      expect(sha256(await readFile(await download.path()))).toBe(sha256(minutes));
      await (await documentAction(row, fr['action.copyLink'])).click();
      await page.locator('.notice .link').waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied).toBe(await page.locator('.notice .link').inputValue());
      const response = await fetch(copied);
      expect(response.status).toBe(200);
      expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(minutes));
    });

    it('edits title and type', async () => {
      await (await documentAction(page.locator('table.documents tbody tr', { hasText: 'Façade côté rue' }), fr['action.edit'])).click();
      await page.getByLabel(fr['list.title'], { exact: true }).fill('Façade avant travaux');
      await page.locator('#edit-type').selectOption('owner_document');
      await shot('07-edit');
      await page.getByRole('button', { name: fr['action.save'] }).click();
      await page.getByText(fill(fr['saved.done'], { title: 'Façade avant travaux' })).waitFor();
      const edited = (await apiDocuments(await fixture.token('syndic'))).find((d) => d.fileName === 'facade.png');
      expect(edited).toMatchObject({ title: 'Façade avant travaux', type: 'owner_document' });
      await page.locator('table.documents tbody tr', { hasText: 'Façade avant travaux' }).getByText(fr['type.owner_document']).waitFor();
    });

    it('deletes to the trash and restores from the trash view', async () => {
      const token = await fixture.token('syndic');
      await (await documentAction(page.locator('table.documents tbody tr', { hasText: 'Façade avant travaux' }), fr['action.delete'])).click();
      await page.getByText(fill(fr['deleted.done'], { title: 'Façade avant travaux' })).waitFor();
      await expect.poll(() => page.locator('table.documents tbody th').allTextContents()).toEqual(['Procès-verbal AG 2026']);
      expect((await apiDocuments(token, true)).map((d) => d.title)).toEqual(['Façade avant travaux']);
      await page.getByRole('link', { name: fill(fr['building.trashCount'], { count: '1' }) }).click();
      await expect.poll(() => page.locator('table.documents tbody th').allTextContents()).toEqual(['Façade avant travaux']);
      await shot('08-trash');
      await page.getByRole('button', { name: fr['action.restore'] }).click();
      await page.getByText(fill(fr['restored.done'], { title: 'Façade avant travaux' })).waitFor();
      expect(await apiDocuments(token, true)).toEqual([]);
      await page.getByRole('link', { name: fr['building.documents'], exact: true }).click();
      await expect.poll(() => page.locator('table.documents tbody tr').count()).toBe(2);
    });

    it('switches language: texts, dates and sizes follow (nl-BE, then en-BE)', async () => {
      const document = (await apiDocuments(await fixture.token('syndic'))).find((d) => d.fileName === 'PV AG 2026.pdf') as Document;
      await page.getByLabel(fr['app.language']).selectOption('nl-BE');
      await page.getByRole('heading', { name: nl['buildings.heading'] }).waitFor();
      expect(await page.getAttribute('html', 'lang')).toBe('nl-BE');
      const row = page.locator('table.documents tbody tr', { hasText: 'Procès-verbal AG 2026' });
      const dutch = translator('nl-BE');
      expect(await row.locator('td').allTextContents()).toEqual(expect.arrayContaining([nl['type.meeting_minutes'], dutch.size(document.size), dutch.date(document.createdAt)]));
      await shot('09-documents-nl');
      await page.getByLabel(nl['app.language']).selectOption('en-BE');
      await page.getByRole('heading', { name: en['buildings.heading'] }).waitFor();
      const english = translator('en-BE');
      expect(await row.locator('td').allTextContents()).toEqual(expect.arrayContaining([en['type.meeting_minutes'], english.size(document.size), english.date(document.createdAt)]));
      await page.getByLabel(en['app.language']).selectOption('fr-BE');
      await page.getByRole('heading', { name: fr['buildings.heading'] }).waitFor();
    });

    it('pages over the API’s cursor: 25 documents, then the next ones on request', async () => {
      const token = await fixture.token('syndic');
      const crowded = await registerBuildingAt(baseUrl, token, { name: 'Immeuble des factures' });
      for (let i = 0; i < 27; i++) {
        const form = new FormData();
        form.append('type', 'invoice');
        form.append('title', `Facture ${String(i).padStart(2, '0')}`);
        form.append('file', new Blob([new Uint8Array(pdfOfSize(2000))], { type: 'application/pdf' }), `facture-${i}.pdf`);
        const response = await fetch(`${baseUrl}/api/v1/buildings/${crowded}/documents`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
        expect(response.status).toBe(201);
      }
      await page.goto(`${baseUrl}/#/buildings/${crowded}`);
      const titles = page.locator('table.documents tbody th');
      await expect.poll(() => titles.count()).toBe(25);
      expect(await titles.first().textContent()).toBe('Facture 26');
      await page.getByRole('button', { name: fr['list.more'] }).click();
      await expect.poll(() => titles.count()).toBe(27);
      expect(await titles.last().textContent()).toBe('Facture 00');
      expect(await page.getByRole('button', { name: fr['list.more'] }).count()).toBe(0);
    });

    it('works from the keyboard: sign in, open a building, preview, close with Escape', async () => {
      const keyboard = await context.newPage();
      await keyboard.goto(`${baseUrl}/`);
      await keyboard.getByLabel(fr['signIn.token']).waitFor();
      const previous = page;
      page = keyboard;
      try {
        await tabTo(keyboard, '#token');
        await keyboard.keyboard.type(await fixture.token('syndic'));
        await tabTo(keyboard, 'button[type=submit]');
        await keyboard.keyboard.press('Enter');
        await keyboard.getByRole('heading', { name: fr['buildings.heading'] }).waitFor();
        await tabTo(keyboard, `a[href="#/buildings/${building}"]`);
        await keyboard.keyboard.press('Enter');
        await keyboard.getByRole('heading', { level: 1, name: 'Résidence Les Tilleuls' }).waitFor();
        await expect.poll(() => keyboard.locator('table.documents tbody tr').count()).toBe(2);
        const minutesId = (await apiDocuments(await fixture.token('syndic'))).find((d) => d.fileName === 'PV AG 2026.pdf')?.id as string;
        const preview = `tr[data-document-id="${minutesId}"] button[data-action="preview"]`;
        await tabTo(keyboard, preview);
        await keyboard.keyboard.press('Enter');
        await keyboard.locator('dialog iframe.preview').waitFor();
        // The dialog takes focus once it is shown (the browser moves it; poll rather than race it).
        await expect.poll(() => keyboard.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
        await keyboard.keyboard.press('Escape');
        await keyboard.locator('dialog').waitFor({ state: 'detached' });
        // Focus returns to the button that opened the preview.
        await expect.poll(() => keyboard.evaluate((selector) => document.activeElement?.matches(selector) === true, preview)).toBe(true);
      } finally {
        page = previous;
        await keyboard.close();
      }
    });

    it('an owner signs in by pasting a token, sees no upload, edit or delete, and gets 403 from the API when it tries', async () => {
      const ownerContext = await browser.newContext({ locale: 'en-BE', viewport: { width: 1280, height: 860 } });
      ownerContext.setDefaultTimeout(15_000);
      const owner = await ownerContext.newPage();
      const token = await fixture.token('owner', { sub: 'owner-7', buildings: [building] });
      const previous = page;
      page = owner;
      try {
        await owner.goto(`${baseUrl}/`);
        await owner.getByLabel(en['signIn.token']).fill(token);
        await owner.getByRole('button', { name: en['signIn.submit'] }).click();
        await owner.getByRole('link', { name: /Résidence Les Tilleuls/ }).click();
        await owner.getByRole('heading', { level: 1, name: 'Résidence Les Tilleuls' }).waitFor();
        expect(await owner.getByRole('button', { name: en['building.edit'] }).count()).toBe(0);
        // The reader's view: grouped by type, a download on each.
        await expect.poll(() => owner.locator('.reader-list > li').count()).toBe(2);
        await shot('10-owner-read-only');
        for (const name of [en['upload.open'], en['action.edit'], en['action.delete']]) expect(await owner.getByRole('button', { name, exact: true }).count()).toBe(0);
        expect(await owner.getByRole('link', { name: /Trash/ }).count()).toBe(0);
        expect(await owner.getByRole('button', { name: en['action.download'] }).count()).toBe(2);
        const refused = await owner.evaluate(
          async ({ buildingId, bearer }) => {
            const form = new FormData();
            form.append('type', 'other');
            form.append('title', 'tentative');
            form.append('file', new File(['%PDF-1.4\n%%EOF\n'], 'x.pdf', { type: 'application/pdf' }));
            const response = await fetch(`/api/v1/buildings/${buildingId}/documents`, { method: 'POST', body: form, headers: { authorization: `Bearer ${bearer}` } });
            return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as { code: string } };
          },
          { buildingId: building, bearer: token },
        );
        expect(refused).toMatchObject({ status: 403, body: { code: 'auth.forbidden' } });
        expect(refused.type).toContain('application/problem+json');
      } finally {
        page = previous;
        await ownerContext.close();
      }
    });

    it('shows superadmins the storage backend, health and counts and bytes by type', async () => {
      await page.evaluate(() => sessionStorage.clear());
      await page.goto(`${baseUrl}/#token=${await fixture.token('superadmin')}`);
      await page.getByRole('link', { name: fr['admin.link'] }).click();
      await page.getByRole('heading', { name: fr['admin.heading'] }).waitFor();
      const facts = page.locator('dl.facts dd');
      await expect.poll(() => facts.allTextContents()).toEqual([fixture.config.storage.backend, fr['admin.ok'], fr['admin.ok'], translator('fr-BE').size(MAX_UPLOAD_BYTES)]);
      const french = translator('fr-BE');
      expect(await page.locator('table.documents tbody tr', { hasText: fr['type.meeting_minutes'] }).locator('td').allTextContents()).toEqual([french.number(1), french.size(minutes.length)]);
      await shot('11-admin');
    });

    it('a building the migration registered without a name is shown as unnamed, with a prompt to name it; a syndic names it, then renames it', async () => {
      // As the migration leaves a building that had documents before buildings were registered.
      const unnamed = randomUUID();
      await fixture.service.db.insertInto('buildings').values({ id: unnamed, organization_id: ORG_A, created_at: new Date().toISOString() }).execute();
      await page.evaluate(() => sessionStorage.clear());
      await page.goto(`${baseUrl}/#token=${await fixture.token('syndic')}`);
      const link = page.locator(`ul.buildings a[href="#/buildings/${unnamed}"]`);
      expect(await link.locator('.name').textContent()).toBe(fr['buildings.unnamed']);
      // Unnamed buildings come first in the list.
      expect(await page.locator('ul.buildings li a').first().getAttribute('href')).toBe(`#/buildings/${unnamed}`);
      await link.click();
      await page.getByRole('heading', { level: 1, name: fr['buildings.unnamed'] }).waitFor();
      await page.getByText(fr['building.unnamedPrompt']).waitFor();
      await shot('12-unnamed-building');
      await page.getByRole('button', { name: fr['building.nameIt'], exact: true }).click();
      await page.getByLabel(fr['buildingForm.name'], { exact: true }).fill('Le Prieuré');
      await page.getByRole('button', { name: fr['action.save'], exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Le Prieuré' }).waitFor();
      await page.getByText(fill(fr['building.saved'], { name: 'Le Prieuré' })).waitFor();
      expect(await page.getByText(fr['building.unnamedPrompt']).count()).toBe(0);
      await expect.poll(() => link.locator('.name').textContent()).toBe('Le Prieuré');
      // Renamed, in Dutch this time.
      await page.getByLabel(fr['app.language']).selectOption('nl-BE');
      await page.getByRole('button', { name: nl['building.edit'], exact: true }).click();
      await page.getByLabel(nl['buildingForm.name'], { exact: true }).fill('Priorij');
      await page.getByRole('button', { name: nl['action.save'], exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Priorij' }).waitFor();
      await page.getByLabel(nl['app.language']).selectOption('fr-BE');
      const response = await fetch(`${baseUrl}/api/v1/buildings/${unnamed}`, { headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(await response.json()).toMatchObject({ name: 'Priorij', financialYearEnd: { month: 12, day: 31 }, address: { country: 'BE' } });
    });

    it('a building that is not registered is not opened: no upload into it', async () => {
      await page.goto(`${baseUrl}/#/buildings/${randomUUID()}`);
      await page.getByText(fr['building.notFound']).waitFor();
      expect(await page.getByRole('button', { name: fr['upload.open'], exact: true }).count()).toBe(0);
    });

    it('an expired session goes back to the sign-in page with a message', async () => {
      await page.evaluate(() => sessionStorage.setItem('docstore.token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.invalid'));
      await page.goto(`${baseUrl}/#/`);
      await page.reload();
      await page.getByText(fr['signIn.expired']).waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('docstore.token'))).toBeNull();
    });

    describe('uploads the API would refuse', () => {
      const fresh = randomUUID();
      let registered = false;
      const uploadRoute = `/api/v1/buildings/${fresh}/documents`;
      const entry = (file: string) => page.locator(`li.upload-entry[data-file=${JSON.stringify(file)}]`);
      /** Signs in again, opens the building and its upload panel. */
      async function openUploadPanel(): Promise<void> {
        const token = await fixture.token('syndic');
        if (!registered) await registerBuildingAt(baseUrl, token, { id: fresh, name: 'Immeuble des refus' });
        registered = true;
        // A fresh page, as a sign-in link opens: the previous test may have left an upload panel,
        // a download or a dialog behind in this one (on CI under load, the sign-in fragment sent
        // into such a page once did not bring the buildings back within 15 s).
        await page.goto('about:blank');
        await page.goto(`${baseUrl}/#token=${token}`);
        await page.getByRole('heading', { name: fr['buildings.heading'] }).waitFor();
        // The building's address right after the list showed: the console must hear this fragment
        // change even before its effects ran (useRoute reads the fragment again once listening; this
        // step failed on CI in 2 runs of 3 when the change came first). The page's text is kept if not.
        await page.goto(`${baseUrl}/#/buildings/${fresh}`);
        await page
          .getByRole('heading', { level: 1, name: 'Immeuble des refus' })
          .waitFor()
          .catch(async (error: unknown) => {
            throw new Error(`the building did not open; the page said: ${await page.locator('body').innerText()}`, { cause: error });
          });
        await page.getByRole('button', { name: fr['upload.open'], exact: true }).click();
      }

      it('a file over the limit or of a type not allowed, given to the file input, says why within 2 s and is never sent', async () => {
        await openUploadPanel();
        // Whichever way the console sends a file: a multipart POST, or tus (POST, then PATCH, /api/v1/uploads).
        const posted: string[] = [];
        const recordPost = (request: Request) => {
          if (request.method() !== 'GET' && request.method() !== 'HEAD') posted.push(`${request.method()} ${new URL(request.url()).pathname}`);
        };
        page.on('request', recordPost);
        try {
          await page.locator('#upload-files').setInputFiles([{ name: 'scan-énorme.pdf', mimeType: 'application/pdf', buffer: tooLarge }]);
          await entry('scan-énorme.pdf').getByText(fill(fr['error.upload.too_large'], { size: translator('fr-BE').size(MAX_UPLOAD_BYTES) })).waitFor({ timeout: 2_000 });
          // A program named like a PDF: its first bytes decide, as on the server.
          await page.locator('#upload-files').setInputFiles([{ name: 'facture.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(4000, 7)]) }]);
          await entry('facture.pdf').getByText(fill(fr['error.upload.unsupported_content'], { types: allowedTypesText(fixture.config.allowedMimeTypes) })).waitFor({ timeout: 2_000 });
          // Nothing to send: no “upload 0 files” button.
          expect(await page.locator('[data-action="start-upload"]').count()).toBe(0);
          await shot('12-refused-before-sending');
          // Whatever the console might still do, it does within this pause.
          await page.waitForTimeout(500);
          expect(posted).toEqual([]);
        } finally {
          page.off('request', recordPost);
        }
      });

      it('an upload over the limit sent from the page without the console’s check gets its 413 within 5 s', async () => {
        await page.goto(`${baseUrl}/`);
        const outcome = await page.evaluate(
          ({ route, bearer, size }) =>
            new Promise<{ status: number; code: string; ms: number }>((resolve) => {
              const bytes = new Uint8Array(size);
              bytes.set(new TextEncoder().encode('%PDF-1.4\n'));
              const form = new FormData();
              form.append('type', 'other');
              form.append('title', 'trop gros');
              form.append('file', new File([bytes], 'trop-gros.pdf', { type: 'application/pdf' }));
              const xhr = new XMLHttpRequest();
              const started = performance.now();
              xhr.open('POST', route);
              xhr.setRequestHeader('authorization', `Bearer ${bearer}`);
              xhr.onload = () => resolve({ status: xhr.status, code: (JSON.parse(xhr.responseText) as { code: string }).code, ms: performance.now() - started });
              xhr.onerror = () => resolve({ status: 0, code: 'network error', ms: performance.now() - started });
              xhr.send(form);
            }),
          { route: uploadRoute, bearer: await fixture.token('syndic'), size: 60 * 1024 * 1024 },
        );
        expect(outcome).toMatchObject({ status: 413, code: 'upload.too_large' });
        expect(outcome.ms).toBeLessThan(5_000);
      });

      it('keeps the quotes of a file name sent from the console through tus (Upload-Metadata, base64)', async () => {
        await openUploadPanel();
        const report = pdfDocument('Rapport final', 4000);
        await page.locator('#upload-files').setInputFiles([{ name: 'Rapport "final".pdf', mimeType: 'application/pdf', buffer: report }]);
        await page.getByRole('button', { name: fill(fr['upload.start'], { count: '1' }) }).click();
        await page.getByText(fill(fr['upload.finished'], { titles: 'Rapport "final".pdf' })).waitFor();
        const token = await fixture.token('syndic');
        const listed = await fetch(`${baseUrl}${uploadRoute}`, { headers: { authorization: `Bearer ${token}` } });
        const [stored] = ((await listed.json()) as { items: Document[] }).items;
        // file-name.ts writes a quote as an apostrophe, so that no header can break on it.
        expect(stored?.fileName).toBe("Rapport 'final'.pdf");
        const content = await fetch(`${baseUrl}/api/v1/documents/${stored?.id}/content`, { headers: { authorization: `Bearer ${token}` } });
        expect(sha256(Buffer.from(await content.arrayBuffer()))).toBe(sha256(report));
        expect(content.headers.get('content-disposition')).toBe(`attachment; filename="Rapport 'final'.pdf"; filename*=UTF-8''Rapport%20%27final%27.pdf`);
        const row = page.locator('table.documents tbody tr', { hasText: 'Rapport "final".pdf' });
        const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: fr['action.download'] }).click()]);
        expect(download.suggestedFilename()).toBe("Rapport 'final'.pdf");
      });

      it("a contract with an end date from the console goes through tus, not multipart: its end date and its quoted file name are stored (the name made safe)", async () => {
        await openUploadPanel();
        const fileName = 'Contrat "ascenseur".pdf';
        const posts: string[] = [];
        const recordUpload = (request: Request) => {
          if (request.method() === 'POST') posts.push(new URL(request.url()).pathname);
        };
        page.on('request', recordUpload);
        try {
          await page.locator('#upload-files').setInputFiles([{ name: fileName, mimeType: 'application/pdf', buffer: pdfDocument('Contrat ascenseur', 4000) }]);
          await page.getByLabel(fill(fr['upload.fileType'], { file: fileName })).selectOption('contract');
          await page.getByLabel(fill(fr['upload.fileContractEnd'], { file: fileName })).fill('2030-06-30');
          await page.getByRole('button', { name: fill(fr['upload.start'], { count: '1' }) }).click();
          await page.getByText(fill(fr['upload.finished'], { titles: fileName })).waitFor();
        } finally {
          page.off('request', recordUpload);
        }
        // One tus creation (its URL stands for the upload; a multipart POST would carry an Idempotency-Key instead).
        expect(posts).toEqual(['/api/v1/uploads']);
        const token = await fixture.token('syndic');
        const listed = await fetch(`${baseUrl}${uploadRoute}`, { headers: { authorization: `Bearer ${token}` } });
        const stored = ((await listed.json()) as { items: Document[] }).items.find((document) => document.type === 'contract');
        expect(stored).toMatchObject({ fileName: "Contrat 'ascenseur'.pdf", contractEndDate: '2030-06-30' });
      });

      it('a file name with quotes and line breaks in a FormData sent by Chromium (%22, %0D, %0A) is stored decoded, then made safe', async () => {
        await page.goto(`${baseUrl}/`);
        const answer = await page.evaluate(
          async ({ route, bearer, pdf }) => {
            const form = new FormData();
            form.append('type', 'other');
            form.append('title', 'Rapport');
            form.append('file', new File([new TextEncoder().encode(pdf)], 'Rapport "final"\r\nv2\nbis.pdf', { type: 'application/pdf' }));
            // The body as Chromium encodes it (the same encoder as fetch's): DevTools does not show a body with a file.
            const encoded = await new Response(form).text();
            const response = await fetch(route, { method: 'POST', headers: { authorization: `Bearer ${bearer}` }, body: form });
            return { encoded, status: response.status, document: (await response.json()) as Document };
          },
          { route: uploadRoute, bearer: await fixture.token('syndic'), pdf: pdfDocument('Rapport final', 2000).toString('latin1') },
        );
        expect(answer.encoded).toContain('filename="Rapport %22final%22%0D%0Av2%0Abis.pdf"');
        expect(answer.status, JSON.stringify(answer.document)).toBe(201);
        expect(answer.document.fileName).toBe("Rapport 'final' v2 bis.pdf");
      });
    });
  });
}
