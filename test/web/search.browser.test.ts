import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUES } from '../../web/src/i18n/index.js';
import { SEARCH_CATALOGUES } from '../../web/src/i18n/search-catalogue.js';
import { launchChromium } from '../support/browser.js';
import { registerBuildingAt } from '../support/buildings.js';
import { installOcrTools, scanOf, textPdf } from '../support/search-samples.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { multipartBody } from '../support/upload-request.js';

type Locale = 'fr-BE' | 'nl-BE' | 'en-BE';
const fill = (text: string, values: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));

beforeAll(installOcrTools, 900_000);

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`search in the console (Debian's chromium) on ${pairName}`, { timeout: 120_000 }, () => {
    let fixture: ServiceFixture;
    let browser: Browser;
    let baseUrl: string;
    let roofs: string;
    let lifts: string;

    async function signedIn(role: 'syndic' | 'owner', locale: Locale, buildings: string[] = []): Promise<Page> {
      const context = await browser.newContext({ locale, viewport: { width: 1400, height: 900 } });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      await page.goto(`${baseUrl}/#token=${await fixture.token(role, { sub: `${role}-search`, buildings })}`);
      await page.getByRole('heading', { name: CATALOGUES[locale]['buildings.heading'] }).waitFor();
      return page;
    }

    beforeAll(async () => {
      [fixture, browser] = await Promise.all([factory({ listen: true }), launchChromium()]);
      baseUrl = fixture.baseUrl as string;
      const syndic = await fixture.token('syndic', { sub: 'syndic-search' });
      roofs = await registerBuildingAt(baseUrl, syndic, { name: 'Résidence Les Toits' });
      lifts = await registerBuildingAt(baseUrl, syndic, { name: 'Résidence Ascenseur' });
      const upload = async (building: string, type: string, title: string, fileName: string, content: Buffer, contentType: string, documentDate: string) => {
        const { payload, headers } = multipartBody([
          { name: 'type', value: type },
          { name: 'title', value: title },
          { name: 'documentDate', value: documentDate },
          { name: 'file', fileName, content, contentType },
        ]);
        const response = await fetch(`${baseUrl}/api/v1/buildings/${building}/documents`, { method: 'POST', body: new Uint8Array(payload), headers: { ...headers, authorization: `Bearer ${syndic}` } });
        expect(response.status, await response.clone().text()).toBe(201);
      };
      const scan = await scanOf(['Notulen van de algemene vergadering', 'De dakwerken zijn goedgekeurd.'], 'png');
      await upload(roofs, 'meeting_minutes', 'PV AG 2025', 'pv-2025.pdf', textPdf([["Procès-verbal de l'assemblée générale", 'Les TRAVAUX DE TOITURE sont votés à la majorité.']]), 'application/pdf', '2025-06-12');
      await upload(roofs, 'meeting_minutes', 'Notulen 2024', 'notulen.png', scan.image, 'image/png', '2024-05-02');
      await upload(lifts, 'invoice', 'Facture toiture ascenseur', 'facture.pdf', textPdf([['Réparation de la toiture de la cage d’ascenseur.']]), 'application/pdf', '2025-02-01');
      await fixture.service.search.worker().drain();
    }, 900_000);
    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
    });

    it('a syndic (nl-BE) searches across buildings: snippets with the words highlighted, the extracted text of a scan', async () => {
      const page = await signedIn('syndic', 'nl-BE');
      const nl = SEARCH_CATALOGUES['nl-BE'];
      try {
        const panel = page.getByRole('region', { name: nl.heading });
        await panel.getByLabel(nl.query).fill('toiture');
        await panel.getByRole('button', { name: nl.submit }).click();
        await panel.getByRole('status').filter({ hasText: fill(nl.results, { count: 2 }) }).waitFor();
        // The invoice's title says toiture: it ranks first.
        expect(await panel.locator('.search-results a').allTextContents()).toEqual(['Facture toiture ascenseur', 'PV AG 2025']);
        expect(await panel.locator('.search-results mark').allTextContents()).toEqual(['toiture', 'TOITURE']);
        await panel.getByLabel(nl.query).fill('dakwerken');
        await panel.getByRole('button', { name: nl.submit }).click();
        await panel.getByRole('link', { name: 'Notulen 2024' }).waitFor();
        expect(await panel.locator('.search-results mark').allTextContents()).toEqual(['dakwerken']);
        await panel.getByRole('button', { name: nl.showText }).click();
        const text = page.getByRole('region', { name: fill(nl.textOf, { title: 'Notulen 2024' }) });
        expect(await text.locator('pre').textContent()).toContain('De dakwerken zijn goedgekeurd.');
      } finally {
        await page.context().close();
      }
    });

    it('an owner (fr-BE) searches inside the building of its token, by type and year, and sees nothing of the other building', async () => {
      const page = await signedIn('owner', 'fr-BE', [roofs]);
      const fr = SEARCH_CATALOGUES['fr-BE'];
      try {
        await page.getByRole('link', { name: /Résidence Les Toits/ }).click();
        const panel = page.getByRole('region', { name: fr.headingBuilding });
        await panel.getByLabel(fr.query).fill('assemblee "travaux de toiture"');
        await panel.getByLabel(fr.type).selectOption('meeting_minutes');
        await panel.getByLabel(fr.year).selectOption('2025');
        await panel.getByRole('button', { name: fr.submit }).click();
        await panel.getByRole('status').filter({ hasText: fill(fr.results, { count: 1 }) }).waitFor();
        expect(await panel.locator('.search-results mark').allTextContents()).toEqual(['assemblée', 'TRAVAUX', 'DE', 'TOITURE']);
        await panel.getByLabel(fr.year).selectOption('2024');
        await panel.getByRole('button', { name: fr.submit }).click();
        await panel.getByText(fr.none).waitFor();
        // The invoice of the other building matches "ascenseur": never shown, never counted.
        await page.goto(`${baseUrl}/#/`);
        const all = page.getByRole('region', { name: fr.heading });
        await all.getByLabel(fr.query).fill('ascenseur');
        await all.getByRole('button', { name: fr.submit }).click();
        await all.getByText(fr.none).waitFor();
      } finally {
        await page.context().close();
      }
    });
  });
}
