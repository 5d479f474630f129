import type { Browser, Page } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProtectedDocument } from '../../src/shared/document.js';
import { CATALOGUES, translator, type Locale } from '../../web/src/i18n/index.js';
import { allowedTypesText } from '../../web/src/upload-check.js';
import { launchChromium, pdfDocument, pngOf } from '../support/browser.js';
import { registerBuildingAt } from '../support/buildings.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload } from '../support/upload-request.js';
import { DESKTOP, PHONE, axeViolations, documentAction, horizontalOverflow, openActions, smallTouchTargets, tabTo } from './page-checks.js';

const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const fr = CATALOGUES['fr-BE'];
const nl = CATALOGUES['nl-BE'];
const en = CATALOGUES['en-BE'];
const fill = (text: string, values: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));
const day = (locale: string, date: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
/** The smallest phone the console supports, besides the two widths of the issue. */
const SMALL_PHONE = { width: 320, height: 640 } as const;

type Role = 'syndic' | 'owner' | 'superadmin';

for (const [pairName, factory] of SERVICE_PAIRS) {
  const pair = pairName.startsWith('local') ? 'local' : 's3';
  describe(`the console on phones and desktops (Debian's chromium) on ${pairName}`, { timeout: 240_000 }, () => {
    let fixture: ServiceFixture;
    let browser: Browser;
    let baseUrl: string;
    let building: string;
    const stored: Record<string, ProtectedDocument> = {};

    async function upload(title: string, type: string, documentDate: string, content = pdfDocument(title, 6 * 1024), fileName = `${title}.pdf`): Promise<ProtectedDocument> {
      const { payload, headers } = documentUpload({ type, title, fileName, content, extra: [{ name: 'documentDate', value: documentDate }] });
      const response = await fetch(`${baseUrl}/api/v1/buildings/${building}/documents`, { method: 'POST', body: new Uint8Array(payload), headers: { ...headers, authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(response.status, await response.clone().text()).toBe(201);
      return (stored[title] = (await response.json()) as ProtectedDocument);
    }

    async function api<T>(path: string): Promise<T> {
      const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as T;
    }

    /** A new tab at `viewport`, signed in as `role` by a `docstore open` link, on the building (or the home page). */
    async function signedIn(role: Role, locale: Locale, viewport: { width: number; height: number }, open: 'building' | 'home' = 'building'): Promise<Page> {
      const context = await browser.newContext({ locale, viewport, acceptDownloads: true, hasTouch: viewport.width < 600 });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      await page.goto(`${baseUrl}/#token=${await fixture.token(role, { sub: `${role}-responsive`, buildings: [building] })}`);
      await page.getByRole('heading', { name: CATALOGUES[locale]['buildings.heading'] }).waitFor();
      if (open === 'building') {
        await page.getByRole('link', { name: /Résidence du Parc/ }).click();
        await page.getByRole('heading', { level: 1, name: 'Résidence du Parc' }).waitFor();
      }
      return page;
    }

    /** The checks every view passes: no sideways scroll, no axe-core violation, on phones touch targets of 44 px; and a screenshot. */
    async function checkView(page: Page, name: string): Promise<void> {
      const width = page.viewportSize()?.width ?? 0;
      await page.screenshot({ path: `${SCREENSHOTS}${pair}-${width}-${name}.png`, fullPage: true });
      expect(await horizontalOverflow(page), `${name} at ${width} px scrolls sideways`).toBeLessThanOrEqual(0);
      if (width < 600) expect(await smallTouchTargets(page), `${name} at ${width} px`).toEqual([]);
      expect(await axeViolations(page), `${name} at ${width} px`).toEqual([]);
    }

    beforeAll(async () => {
      await mkdir(SCREENSHOTS, { recursive: true });
      [fixture, browser] = await Promise.all([factory({ listen: true, env: { MAX_UPLOAD_BYTES: String(1024 * 1024) } }), launchChromium()]);
      baseUrl = fixture.baseUrl as string;
      building = await registerBuildingAt(baseUrl, await fixture.token('syndic'), {
        name: 'Résidence du Parc',
        address: { street: 'Avenue du Parc 120', postalCode: '1060', city: 'Saint-Gilles' },
        financialYearEnd: { month: 6, day: 30 },
      });
      await upload('PV AG 2024', 'meeting_minutes', '2024-05-21');
      await upload('PV AG 2026', 'meeting_minutes', '2026-05-18');
      await upload('PV AG 2025 — assemblée générale ordinaire du mois de mai', 'meeting_minutes', '2025-05-20');
      // Accounts bear the day their year closes (the building's: 30 June).
      await upload('Comptes 2024-2025', 'financial_statement', '2025-06-30');
      await upload('Comptes 2025-2026', 'financial_statement', '2026-06-30');
      await upload('Règlement d’ordre intérieur', 'regulation', '2019-01-10');
      await upload('Façade', 'other', '2026-03-02', pngOf(64, 48, [30, 110, 200]), 'facade-avenue-du-parc-120-saint-gilles-vue-depuis-la-rue.png');
      await upload('Note aux occupants', 'other', '2026-04-01');
    }, 660_000);
    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
    });

    for (const viewport of [PHONE, SMALL_PHONE, DESKTOP]) {
      it(`every view at ${viewport.width} × ${viewport.height}: no sideways scroll, touch targets of 44 px on phones, no axe-core violation`, async () => {
        const signIn = await browser.newPage({ locale: 'fr-BE', viewport });
        try {
          await signIn.goto(`${baseUrl}/`);
          await signIn.getByLabel(fr['signIn.token']).waitFor();
          expect(await signIn.locator('main').innerText()).not.toMatch(/npm|docstore --/);
          await checkView(signIn, 'sign-in');
        } finally {
          await signIn.context().close();
        }

        const page = await signedIn('syndic', 'fr-BE', viewport, 'home');
        try {
          await page.locator('ul.buildings').waitFor();
          await checkView(page, 'buildings');
          await page.getByRole('link', { name: /Résidence du Parc/ }).click();
          const first = page.locator(`[data-document-id="${stored['PV AG 2026']?.id}"]`);
          await first.waitFor();
          // On a phone the building replaces the list, which is one link away.
          expect(await page.getByRole('link', { name: fr['app.back'] }).isVisible()).toBe(viewport.width < 600);
          expect(await page.locator('ul.buildings').isVisible()).toBe(viewport.width >= 600);
          expect(await page.locator(viewport.width < 960 ? 'ul.document-cards' : 'table.documents').count()).toBe(1);
          await checkView(page, 'documents');
          await openActions(first);
          await checkView(page, 'actions-menu');
          await page.keyboard.press('Escape');

          await page.getByRole('button', { name: fr['upload.open'], exact: true }).click();
          await page.locator('#upload-files').setInputFiles([
            { name: 'programme-de-travaux-pour-la-toiture-et-la-facade-arriere.pdf', mimeType: 'application/pdf', buffer: pdfDocument('Travaux', 4000) },
            { name: 'outil.exe', mimeType: 'application/octet-stream', buffer: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(2000, 7)]) },
          ]);
          await page.locator('li.upload-entry.refused').waitFor();
          await checkView(page, 'upload');
          await page.getByRole('button', { name: fr['upload.open'], exact: true }).click();

          await (await documentAction(first, fr['action.preview'])).click();
          await page.locator('dialog iframe.preview').waitFor();
          await checkView(page, 'preview');
          await page.keyboard.press('Escape');
          await page.locator('dialog').waitFor({ state: 'detached' });

          await (await documentAction(first, fr['action.edit'])).click();
          await page.locator('dialog form.edit').waitFor();
          await checkView(page, 'edit');
          await page.keyboard.press('Escape');
          await page.locator('dialog').waitFor({ state: 'detached' });

          await (await documentAction(first, fr['action.versions'])).click();
          await page.locator('dialog tr[data-version="1"]').waitFor();
          await checkView(page, 'versions');
          await page.keyboard.press('Escape');
          await page.locator('dialog').waitFor({ state: 'detached' });

          await page.getByRole('link', { name: new RegExp(fr['building.trash']) }).click();
          await page.getByText(fill(fr['trash.explain'], { days: fixture.config.trashDays })).waitFor();
          await checkView(page, 'trash');
        } finally {
          await page.context().close();
        }

        const owner = await signedIn('owner', 'nl-BE', viewport);
        try {
          await owner.locator('section.reader-group').first().waitFor();
          await checkView(owner, 'owner');
        } finally {
          await owner.context().close();
        }

        const admin = await signedIn('superadmin', 'en-BE', viewport, 'home');
        try {
          await admin.getByRole('link', { name: en['admin.link'] }).click();
          await admin.locator('dl.facts dd').first().waitFor();
          await checkView(admin, 'admin');
        } finally {
          await admin.context().close();
        }
      });
    }

    it('a link followed as soon as the buildings show is heard (the fragment changed before the console listened: the CI flake of “uploads the API would refuse”)', async () => {
      const context = await browser.newContext({ locale: 'fr-BE', viewport: DESKTOP });
      context.setDefaultTimeout(15_000);
      // No animation frames: Preact runs effects (where the console subscribes to hashchange) only at
      // its 100 ms fallback, which widens the window a loaded CI machine opened now and then.
      await context.addInitScript(() => {
        window.requestAnimationFrame = () => 0;
      });
      const page = await context.newPage();
      try {
        await page.goto(`${baseUrl}/#token=${await fixture.token('syndic')}`);
        await page.getByRole('heading', { name: fr['buildings.heading'] }).waitFor();
        await page.goto(`${baseUrl}/#/buildings/${building}`);
        await page.getByRole('heading', { level: 1, name: 'Résidence du Parc' }).waitFor();
      } finally {
        await context.close();
      }
    });

    it('an owner on a phone: documents by type, newest first (minutes by year, accounts by financial year), a search box, a download on each, nothing to change', async () => {
      const page = await signedIn('owner', 'en-BE', PHONE);
      try {
        const groups = page.locator('section.reader-group');
        await groups.first().waitFor();
        expect(await groups.evaluateAll((sections) => sections.map((section) => section.getAttribute('data-type')))).toEqual(['meeting_minutes', 'financial_statement', 'regulation', 'other']);
        const minutes = page.locator('section[data-type="meeting_minutes"] .reader-period');
        expect(await minutes.evaluateAll((periods) => periods.map((period) => period.getAttribute('data-period')))).toEqual(['2026', '2025', '2024']);
        const accounts = page.locator('section[data-type="financial_statement"] h3');
        // The building's year ends on 30 June: each account is under the financial year its date closes.
        expect(await accounts.allTextContents()).toEqual([fill(en['owner.financialYear'], { from: '2025', to: '2026' }), fill(en['owner.financialYear'], { from: '2024', to: '2025' })]);
        expect(await page.locator('section[data-type="financial_statement"] li .title').allTextContents()).toEqual(['Comptes 2025-2026', 'Comptes 2024-2025']);
        // Nothing an owner cannot do, not even in a menu.
        expect(await page.locator('.upload-toggle, [data-action="edit"], [data-action="delete"], [data-action="legal-hold"], .tabs').count()).toBe(0);
        expect(await page.locator('[data-action="download"]').count()).toBe(Object.keys(stored).length);

        await page.locator('.reader-view input[name="q"]').fill('reglement');
        await expect.poll(() => page.locator('.reader-list li .title').allTextContents()).toEqual(['Règlement d’ordre intérieur']);
        const item = page.locator(`li[data-document-id="${stored['Règlement d’ordre intérieur']?.id}"]`);
        const [download] = await Promise.all([page.waitForEvent('download'), item.getByRole('button', { name: fill(en['action.downloadOf'], { file: 'Règlement d’ordre intérieur' }) }).click()]);
        expect(download.suggestedFilename()).toBe('Règlement d’ordre intérieur.pdf');
        await page.getByText(fill(en['download.started'], { file: 'Règlement d’ordre intérieur.pdf' })).waitFor();
        await page.locator('.reader-view input[name="q"]').fill('nothing like this');
        await page.getByText(en['owner.none']).waitFor();
        await page.screenshot({ path: `${SCREENSHOTS}${pair}-390-owner-search.png`, fullPage: true });
      } finally {
        await page.context().close();
      }
    });

    it('from the keyboard alone: delete, then undo at once; deleted again, the trash says when it goes for good', async () => {
      const page = await signedIn('syndic', 'fr-BE', DESKTOP);
      const note = stored['Note aux occupants'] as ProtectedDocument;
      try {
        const row = `[data-document-id="${note.id}"]`;
        await page.locator(row).waitFor();
        await tabTo(page, `${row} button.menu-toggle`);
        await page.keyboard.press('Enter');
        await tabTo(page, `${row} button[data-action="delete"]`);
        await page.keyboard.press('Enter');
        await page.getByText(fill(fr['deleted.done'], { title: 'Note aux occupants' })).waitFor();
        // The undo takes the focus: one key brings the document back.
        await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('undo');
        await page.screenshot({ path: `${SCREENSHOTS}${pair}-1366-undo.png` });
        expect((await api<{ items: ProtectedDocument[] }>(`/api/v1/buildings/${building}/trash`)).items.map((d) => d.id)).toEqual([note.id]);
        await page.keyboard.press('Enter');
        await page.getByText(fill(fr['deleted.undone'], { title: 'Note aux occupants' })).waitFor();
        // The focus stays where the outcome is said, not lost to the page.
        expect(await page.evaluate(() => document.activeElement?.className)).toBe('notice');
        expect((await api<{ items: ProtectedDocument[] }>(`/api/v1/buildings/${building}/trash`)).items).toEqual([]);
        await page.locator(row).waitFor();

        await (await documentAction(page.locator(row), fr['action.delete'])).click();
        await page.getByText(fill(fr['deleted.done'], { title: 'Note aux occupants' })).waitFor();
        const [deleted] = (await api<{ items: ProtectedDocument[] }>(`/api/v1/buildings/${building}/trash`)).items;
        await page.getByRole('link', { name: fill(fr['building.trashCount'], { count: 1 }) }).click();
        const purge = new Date(Date.parse(deleted?.deletedAt ?? '') + fixture.config.trashDays * 86_400_000).toISOString().slice(0, 10);
        await expect.poll(() => page.locator(`${row} td.purge`).textContent()).toBe(fill(fr['trash.purgeOn'], { date: day('fr-BE', purge) }));
        await page.getByText(fill(fr['trash.explain'], { days: fixture.config.trashDays })).waitFor();
        await page.screenshot({ path: `${SCREENSHOTS}${pair}-1366-trash-purge.png` });
        await (await documentAction(page.locator(row), fr['action.restore'])).click();
        await page.getByText(fill(fr['restored.done'], { title: 'Note aux occupants' })).waitFor();
      } finally {
        await page.context().close();
      }
    });

    it('a language switch rewrites what is on screen, errors included; sizes in the language’s words; the finished upload panel resets', async () => {
      const page = await signedIn('syndic', 'fr-BE', DESKTOP);
      try {
        // From the keyboard: the upload panel, the file chooser, the start button.
        await tabTo(page, 'button.upload-toggle');
        await page.keyboard.press('Enter');
        // Waiting for the chooser before the key: Playwright intercepts choosers once it has asked chromium to.
        const choosing = page.waitForEvent('filechooser');
        await tabTo(page, 'button[data-action="choose-files"]');
        await page.keyboard.press('Enter');
        const chooser = await choosing;
        await chooser.setFiles([
          { name: 'outil.exe', mimeType: 'application/octet-stream', buffer: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(2000, 7)]) },
          { name: 'Convocation AG 2026.pdf', mimeType: 'application/pdf', buffer: pdfDocument('Convocation', 4000) },
        ]);
        const refused = page.locator('li.upload-entry[data-file="outil.exe"] .state');
        const types = allowedTypesText(fixture.config.allowedMimeTypes);
        await expect.poll(() => refused.textContent()).toBe(fill(fr['error.upload.unsupported_content'], { types }));
        await tabTo(page, 'button[data-action="start-upload"]');
        await page.keyboard.press('Enter');
        await page.getByText(fill(fr['upload.finished'], { titles: 'Convocation AG 2026.pdf' })).waitFor();
        // The panel resets: what arrived left the queue, no “upload 0 files” button stays.
        expect(await page.locator('li.upload-entry').count()).toBe(1);
        expect(await page.getByRole('button', { name: fill(fr['upload.start'], { count: 0 }) }).count()).toBe(0);

        // A notice naming the document: the preview of a document deleted meanwhile fails, so does its download.
        const facade = stored['Façade'] as ProtectedDocument;
        const response = await fetch(`${baseUrl}/api/v1/documents/${facade.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
        expect(response.status).toBe(204);
        await page.locator(`[data-document-id="${facade.id}"] [data-action="download"]`).click();
        const notice = page.locator('.notice p.error');
        await expect.poll(() => notice.textContent()).toBe(fill(fr['notice.about'], { title: 'Façade', message: fr['error.documents.not_found'] }));
        const size = page.locator(`[data-document-id="${stored['PV AG 2026']?.id}"] td.num`);
        expect((await size.textContent())?.replace(/\s/g, ' ')).toMatch(/^\d+(,\d)? ko$/);

        // The language, from the keyboard: everything already on screen follows, errors included.
        await tabTo(page, 'header select');
        await page.keyboard.press('n');
        await page.getByRole('heading', { name: nl['buildings.heading'] }).waitFor();
        await expect.poll(() => refused.textContent()).toBe(fill(nl['error.upload.unsupported_content'], { types }));
        await expect.poll(() => notice.textContent()).toBe(fill(nl['notice.about'], { title: 'Façade', message: nl['error.documents.not_found'] }));
        await page.getByText(fill(nl['upload.finished'], { titles: 'Convocation AG 2026.pdf' })).waitFor();
        expect((await size.textContent())?.replace(/\s/g, ' ')).toMatch(/^\d+(,\d)? kB$/);
        await page.screenshot({ path: `${SCREENSHOTS}${pair}-1366-language-switch.png`, fullPage: true });
      } finally {
        await page.context().close();
      }
    });

    it('the PDF viewer names the file and downloads it under its name; a copied link says which document and until when', async () => {
      const page = await signedIn('syndic', 'en-BE', DESKTOP);
      const minutes = stored['PV AG 2026'] as ProtectedDocument;
      try {
        const row = page.locator(`[data-document-id="${minutes.id}"]`);
        await row.getByRole('button', { name: en['action.preview'], exact: true }).click();
        const dialog = page.getByRole('dialog', { name: fill(en['action.previewOf'], { title: 'PV AG 2026' }) });
        await dialog.locator('iframe.preview').waitFor();
        expect(await dialog.locator('h2 .file').textContent()).toBe('PV AG 2026.pdf');
        // The viewer's own toolbar would name (and save) the blob's UUID: it is hidden.
        expect(await dialog.locator('iframe.preview').getAttribute('src')).toMatch(/^blob:.*#toolbar=0&navpanes=0$/);
        const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: fill(en['action.downloadOf'], { file: 'PV AG 2026.pdf' }) }).click()]);
        expect(download.suggestedFilename()).toBe('PV AG 2026.pdf');
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });

        await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
        const copy = await documentAction(row, en['action.copyLink']);
        const [answer] = await Promise.all([page.waitForResponse((response) => response.url().endsWith(`/documents/${minutes.id}/download-url`)), copy.click()]);
        const { url, expiresAt } = (await answer.json()) as { url: string; expiresAt: string };
        await expect.poll(() => page.locator('.notice p').textContent()).toBe(fill(en['link.copied'], { title: 'PV AG 2026', time: translator('en-BE').date(expiresAt) }));
        expect(await page.locator('.notice .link').inputValue()).toBe(url);
      } finally {
        await page.context().close();
      }
    });
  });
}
