import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProtectedDocument } from '../../src/shared/document.js';
import type { LegalHold } from '../../web/src/api.js';
import { CATALOGUES } from '../../web/src/i18n/index.js';
import { launchChromium, pdfDocument } from '../support/browser.js';
import { registerBuildingAt } from '../support/buildings.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload } from '../support/upload-request.js';
import { documentAction } from './page-checks.js';

type Locale = 'fr-BE' | 'nl-BE' | 'en-BE';
const fr = CATALOGUES['fr-BE'];
const nl = CATALOGUES['nl-BE'];
const fill = (text: string, values: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));
const day = (locale: string, date: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
const TIME_ZONE = 'Europe/Brussels';
/** Today where the browser runs (its context is set to Brussels), as `<input type=date>` writes it. */
const todayInBrussels = () => new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`document dates and the building's legal hold in the console (Debian's chromium) on ${pairName}`, { timeout: 120_000 }, () => {
    let fixture: ServiceFixture;
    let browser: Browser;
    let baseUrl: string;
    let building: string;
    let contract: ProtectedDocument;
    let letter: ProtectedDocument;

    async function api<T>(path: string): Promise<T> {
      const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as T;
    }

    async function signedIn(role: 'syndic' | 'owner' | 'board_member', locale: Locale): Promise<Page> {
      const context = await browser.newContext({ locale, timezoneId: TIME_ZONE, viewport: { width: 1400, height: 900 } });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      await page.goto(`${baseUrl}/#token=${await fixture.token(role, { sub: `${role}-console`, buildings: [building] })}`);
      await page.getByRole('heading', { name: CATALOGUES[locale]['buildings.heading'] }).waitFor();
      await page.getByRole('link', { name: /Résidence Les Dates/ }).click();
      await page.locator(`[data-document-id="${letter.id}"]`).waitFor();
      return page;
    }

    beforeAll(async () => {
      [fixture, browser] = await Promise.all([factory({ listen: true }), launchChromium()]);
      baseUrl = fixture.baseUrl as string;
      const syndic = await fixture.token('syndic', { sub: 'syndic-console' });
      building = await registerBuildingAt(baseUrl, syndic, { name: 'Résidence Les Dates', financialYearEnd: { month: 6, day: 30 } });
      const upload = async (type: string, title: string, extra: Array<{ name: string; value: string }> = []) => {
        const { payload, headers } = documentUpload({ type, title, fileName: `${title}.pdf`, content: pdfDocument(title, 8 * 1024), extra });
        const response = await fetch(`${baseUrl}/api/v1/buildings/${building}/documents`, { method: 'POST', body: new Uint8Array(payload), headers: { ...headers, authorization: `Bearer ${syndic}` } });
        expect(response.status).toBe(201);
        return (await response.json()) as ProtectedDocument;
      };
      contract = await upload('contract', 'Contrat ascenseur', [{ name: 'contractEndDate', value: '2027-09-30' }]);
      letter = await upload('other', 'Courrier du notaire');
      expect(contract.retention.retainUntil).toBe('2037-09-30');
    }, 660_000);
    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
    });

    it('a syndic (fr-BE) uploads an invoice dated in the 2025–2026 financial year and edits a contract’s end date: “kept until” follows', async () => {
      const page = await signedIn('syndic', 'fr-BE');
      try {
        await page.getByRole('button', { name: fr['upload.open'], exact: true }).click();
        await page.locator('#upload-files').setInputFiles([{ name: 'Facture ascenseur.pdf', mimeType: 'application/pdf', buffer: pdfDocument('Facture ascenseur', 8 * 1024) }]);
        const date = page.getByLabel(fill(fr['upload.fileDate'], { file: 'Facture ascenseur.pdf' }));
        expect(await date.inputValue()).toBe(todayInBrussels());
        const endLabel = fill(fr['upload.fileContractEnd'], { file: 'Facture ascenseur.pdf' });
        await page.getByLabel(fill(fr['upload.fileType'], { file: 'Facture ascenseur.pdf' })).selectOption('contract');
        await page.getByLabel(endLabel).waitFor();
        await page.getByLabel(fill(fr['upload.fileType'], { file: 'Facture ascenseur.pdf' })).selectOption('invoice');
        expect(await page.getByLabel(endLabel).count()).toBe(0);
        // The financial year ends on 30 June: 1 July 2025 belongs to the year closing 30 June 2026.
        await date.fill('2025-07-01');
        await page.getByRole('button', { name: fill(fr['upload.start'], { count: '1' }) }).click();
        await page.getByText(fill(fr['upload.finished'], { titles: 'Facture ascenseur.pdf' })).waitFor();
        const invoiceRow = page.locator('tr', { has: page.getByRole('rowheader', { name: 'Facture ascenseur.pdf', exact: true }) });
        await invoiceRow.locator('td.retention').getByText(day('fr-BE', '2037-01-01'), { exact: true }).waitFor();
        expect(await invoiceRow.locator('td').allTextContents()).toEqual(expect.arrayContaining([day('fr-BE', '2025-07-01')]));
        const id = await invoiceRow.getAttribute('data-document-id');
        const stored = await api<ProtectedDocument>(`/api/v1/documents/${id}`);
        expect({ type: stored.type, documentDate: stored.documentDate, retainUntil: stored.retention.retainUntil }).toEqual({ type: 'invoice', documentDate: '2025-07-01', retainUntil: '2037-01-01' });

        const contractRow = page.locator(`tr[data-document-id="${contract.id}"]`);
        expect(await contractRow.locator('td.retention').textContent()).toBe(day('fr-BE', '2037-09-30'));
        await (await documentAction(contractRow, fr['action.edit'])).click();
        const dialog = page.getByRole('dialog', { name: fill(fr['action.editOf'], { title: 'Contrat ascenseur' }) });
        expect(await dialog.getByLabel(fr['list.documentDate']).inputValue()).toBe(contract.documentDate);
        const end = dialog.getByLabel(fr['dates.contractEnd']);
        expect(await end.inputValue()).toBe('2027-09-30');
        await end.fill('2029-03-31');
        await dialog.getByRole('button', { name: fr['action.save'], exact: true }).click();
        await page.getByText(fill(fr['saved.done'], { title: 'Contrat ascenseur' })).waitFor();
        await contractRow.locator('td.retention').getByText(day('fr-BE', '2039-03-31'), { exact: true }).waitFor();
        const edited = await api<ProtectedDocument>(`/api/v1/documents/${contract.id}`);
        expect({ contractEndDate: edited.contractEndDate, retainUntil: edited.retention.retainUntil }).toEqual({ contractEndDate: '2029-03-31', retainUntil: '2039-03-31' });
      } finally {
        await page.context().close();
      }
    });

    it('a syndic (nl-BE) places a legal hold on the building with a reason: delete is refused with that reason until the hold is released, with a reason', async () => {
      const page = await signedIn('syndic', 'nl-BE');
      try {
        const panel = page.getByRole('region', { name: nl['buildingHold.heading'] });
        await panel.getByText(nl['buildingHold.none']).waitFor();
        const letterRow = page.locator(`tr[data-document-id="${letter.id}"]`);
        // The row's menu closes on a click elsewhere: it is opened again each time.
        const remove = () => documentAction(letterRow, nl['action.delete']);
        expect(await (await remove()).isDisabled()).toBe(false);

        await panel.getByRole('button', { name: nl['buildingHold.place'], exact: true }).click();
        const reason = 'Geschil met de aannemer (dossier 2026/31)';
        await panel.getByLabel(nl['hold.reason']).fill(reason);
        await panel.getByRole('button', { name: nl['hold.place'], exact: true }).click();
        await page.getByText(nl['buildingHold.placed']).waitFor();
        await panel.locator('p.held').waitFor();
        expect(await panel.getAttribute('data-building-held')).toBe('true');
        expect(await panel.locator('p.held').textContent()).toContain(reason);
        const blocked = fill(nl['retention.deleteBlockedBuildingHold'], { reason });
        await letterRow.getByText(blocked).waitFor();
        expect(await (await remove()).isDisabled()).toBe(true);
        expect(await (await remove()).getAttribute('title')).toBe(blocked);
        expect(await letterRow.locator('.badge.hold').getAttribute('data-legal-hold')).toBe('building');
        // The document-level toggle is not offered while the building's hold covers the document.
        expect(await letterRow.getByRole('button', { name: nl['action.hold'], exact: true }).count()).toBe(0);
        const held = panel.locator('tr[data-active="true"]');
        expect(await held.locator('th').textContent()).toBe(nl['buildingHold.wholeBuilding']);
        expect(await held.locator('td').last().textContent()).toBe(nl['buildingHold.stillActive']);
        const [active] = await api<{ items: LegalHold[] }>(`/api/v1/buildings/${building}/legal-holds`).then((body) => body.items);
        expect(active).toMatchObject({ documentId: null, reason, placedBy: 'syndic-console', releasedAt: null });

        await panel.getByRole('button', { name: nl['buildingHold.release'], exact: true }).click();
        await panel.getByLabel(nl['hold.reason']).fill('Geschil geregeld');
        await panel.getByRole('button', { name: nl['hold.releaseConfirm'], exact: true }).click();
        await page.getByText(nl['buildingHold.released']).waitFor();
        await panel.getByText(nl['buildingHold.none']).waitFor();
        await letterRow.locator('.badge.hold').waitFor({ state: 'detached' });
        expect(await (await remove()).isDisabled()).toBe(false);
        const released = panel.locator(`tr[data-hold-id="${active?.id}"]`);
        expect(await released.getAttribute('data-active')).toBe('false');
        expect(await released.locator('td').last().textContent()).toContain('Geschil geregeld');
        const [after] = await api<{ items: LegalHold[] }>(`/api/v1/buildings/${building}/legal-holds`).then((body) => body.items);
        expect(after).toMatchObject({ id: active?.id, releasedBy: 'syndic-console', releaseReason: 'Geschil geregeld' });
      } finally {
        await page.context().close();
      }
    });

    it('owners and board members (en-BE) see no building hold toggle', async () => {
      for (const role of ['owner', 'board_member'] as const) {
        const page = await signedIn(role, 'en-BE');
        try {
          const en = CATALOGUES['en-BE'];
          // The reader's view: the contract is listed, with its download.
          await page.locator(`[data-document-id="${contract.id}"] [data-action="download"]`).waitFor();
          expect(await page.getByRole('region', { name: en['buildingHold.heading'] }).count()).toBe(0);
          for (const name of [en['buildingHold.place'], en['buildingHold.release'], en['action.hold']]) expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
        } finally {
          await page.context().close();
        }
      }
    });
  });
}
