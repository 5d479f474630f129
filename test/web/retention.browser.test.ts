import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProtectedDocument } from '../../src/shared/document.js';
import { CATALOGUES } from '../../web/src/i18n/index.js';
import { launchChromium, pdfDocument } from '../support/browser.js';
import { registerBuildingAt } from '../support/buildings.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload } from '../support/upload-request.js';
import { documentAction, openActions } from './page-checks.js';

const fr = CATALOGUES['fr-BE'];
const nl = CATALOGUES['nl-BE'];
const en = CATALOGUES['en-BE'];
const fill = (text: string, values: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));
const day = (locale: string, date: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`retention and legal hold in the console (Debian's chromium) on ${pairName}`, { timeout: 120_000 }, () => {
    let fixture: ServiceFixture;
    let browser: Browser;
    let baseUrl: string;
    let building: string;
    let invoice: ProtectedDocument;
    let letter: ProtectedDocument;

    async function apiDocument(id: string): Promise<ProtectedDocument> {
      const response = await fetch(`${baseUrl}/api/v1/documents/${id}`, { headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as ProtectedDocument;
    }

    async function signedIn(role: 'syndic' | 'owner', locale: 'fr-BE' | 'nl-BE' | 'en-BE'): Promise<Page> {
      const context = await browser.newContext({ locale, viewport: { width: 1400, height: 900 } });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      await page.goto(`${baseUrl}/#token=${await fixture.token(role, { sub: `${role}-console`, buildings: [building] })}`);
      await page.getByRole('heading', { name: CATALOGUES[locale]['buildings.heading'] }).waitFor();
      await page.getByRole('link', { name: /Résidence La Retenue/ }).click();
      await page.locator(`[data-document-id="${invoice.id}"]`).waitFor();
      return page;
    }

    beforeAll(async () => {
      [fixture, browser] = await Promise.all([factory({ listen: true }), launchChromium()]);
      baseUrl = fixture.baseUrl as string;
      const syndic = await fixture.token('syndic', { sub: 'syndic-console' });
      building = await registerBuildingAt(baseUrl, syndic, { name: 'Résidence La Retenue' });
      const upload = async (type: string, title: string, extra: Array<{ name: string; value: string }> = []) => {
        const { payload, headers } = documentUpload({ type, title, fileName: `${title}.pdf`, content: pdfDocument(title, 8 * 1024), extra });
        const response = await fetch(`${baseUrl}/api/v1/buildings/${building}/documents`, { method: 'POST', body: new Uint8Array(payload), headers: { ...headers, authorization: `Bearer ${syndic}` } });
        expect(response.status).toBe(201);
        return (await response.json()) as ProtectedDocument;
      };
      invoice = await upload('invoice', 'Facture chauffage', [{ name: 'documentDate', value: '2025-03-10' }]);
      letter = await upload('other', 'Courrier du voisin');
    }, 660_000);
    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
    });

    it('a syndic (fr-BE) sees the document date and retention, cannot delete a retained invoice, holds and releases a letter with reasons', async () => {
      const page = await signedIn('syndic', 'fr-BE');
      try {
        const invoiceRow = page.locator(`tr[data-document-id="${invoice.id}"]`);
        expect(await invoiceRow.locator('td').allTextContents()).toEqual(expect.arrayContaining([day('fr-BE', '2025-03-10'), day('fr-BE', '2036-01-01')]));
        const blockedDelete = await documentAction(invoiceRow, fr['action.delete']);
        expect(await blockedDelete.isDisabled()).toBe(true);
        const reason = fill(fr['retention.deleteBlockedUntil'], { date: day('fr-BE', '2036-01-01') });
        expect(await blockedDelete.getAttribute('title')).toBe(reason);
        await invoiceRow.getByText(reason).waitFor();

        const letterRow = page.locator(`tr[data-document-id="${letter.id}"]`);
        expect(await letterRow.locator('td.retention').textContent()).toBe(fr['retention.none']);
        expect(await (await documentAction(letterRow, fr['action.delete'])).isDisabled()).toBe(false);
        await (await documentAction(letterRow, fr['action.hold'])).click();
        const dialog = page.getByRole('dialog', { name: fill(fr['hold.placeHeading'], { title: 'Courrier du voisin' }) });
        await dialog.getByLabel(fr['hold.reason']).fill('Litige avec le voisin (dossier 2026/14)');
        await dialog.getByRole('button', { name: fr['hold.place'], exact: true }).click();
        await page.getByText(fill(fr['hold.placed'], { title: 'Courrier du voisin' })).waitFor();
        const badge = letterRow.locator('.badge.hold');
        await badge.waitFor();
        expect(await badge.textContent()).toBe(fr['retention.heldBadge']);
        expect(await (await documentAction(letterRow, fr['action.delete'])).isDisabled()).toBe(true);
        await letterRow.getByText(fr['retention.deleteBlockedHold']).waitFor();
        expect((await apiDocument(letter.id)).legalHold).toEqual({ active: true, scope: 'document' });

        await (await documentAction(letterRow, fr['action.release'])).click();
        const release = page.getByRole('dialog', { name: fill(fr['hold.releaseHeading'], { title: 'Courrier du voisin' }) });
        await release.getByLabel(fr['hold.reason']).fill('Litige réglé à l’amiable');
        await release.getByRole('button', { name: fr['hold.releaseConfirm'], exact: true }).click();
        await page.getByText(fill(fr['hold.released'], { title: 'Courrier du voisin' })).waitFor();
        expect((await apiDocument(letter.id)).legalHold.active).toBe(false);
        await badge.waitFor({ state: 'detached' });
        await (await documentAction(letterRow, fr['action.delete'])).click();
        await page.getByText(fill(fr['deleted.done'], { title: 'Courrier du voisin' })).waitFor();
      } finally {
        await page.context().close();
      }
    });

    it('the texts follow the language (nl-BE), and an owner (en-BE) sees retention but no hold or delete button', async () => {
      const dutch = await signedIn('syndic', 'nl-BE');
      try {
        const row = dutch.locator(`tr[data-document-id="${invoice.id}"]`);
        await row.getByText(fill(nl['retention.deleteBlockedUntil'], { date: day('nl-BE', '2036-01-01') })).waitFor();
        await (await documentAction(row, nl['action.hold'])).waitFor();
      } finally {
        await dutch.context().close();
      }
      const owner = await signedIn('owner', 'en-BE');
      try {
        // The reader's view: the document, a download, and no hold or delete, not even in its menu.
        const row = owner.locator(`[data-document-id="${invoice.id}"]`);
        await openActions(row);
        expect(await row.locator('[data-action="download"]').count()).toBe(1);
        for (const name of [en['action.hold'], en['action.delete']]) expect(await row.getByRole('button', { name, exact: true }).count()).toBe(0);
      } finally {
        await owner.context().close();
      }
    });
  });
}
