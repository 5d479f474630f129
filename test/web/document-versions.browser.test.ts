import { mkdir, readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import type { DocumentVersion } from '../../src/shared/document-version.js';
import { CATALOGUES } from '../../web/src/i18n/index.js';
import { launchChromium, pdfDocument } from '../support/browser.js';
import { registerBuildingAt } from '../support/buildings.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { sha256 } from '../support/streams.js';
import { documentUpload } from '../support/upload-request.js';
import { documentAction } from './page-checks.js';

const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const fr = CATALOGUES['fr-BE'];
const nl = CATALOGUES['nl-BE'];
const en = CATALOGUES['en-BE'];
const fill = (text: string, values: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));

for (const [pairName, factory] of SERVICE_PAIRS) {
  const shots = pairName.startsWith('local') ? 'local' : 's3';
  describe(`document versions in the console (Debian's chromium) on ${pairName}`, { timeout: 120_000 }, () => {
    let fixture: ServiceFixture;
    let browser: Browser;
    let baseUrl: string;
    let building: string;
    let contract: Document;
    const first = pdfDocument('Contrat ascenseur 2025', 40 * 1024);
    const second = pdfDocument('Contrat ascenseur 2026', 60 * 1024);

    async function versionsOf(id: string): Promise<DocumentVersion[]> {
      const response = await fetch(`${baseUrl}/api/v1/documents/${id}/versions`, { headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(response.status).toBe(200);
      return ((await response.json()) as { items: DocumentVersion[] }).items;
    }

    /** A page signed in with a token of `role`, in `locale`, on the building's documents. */
    async function signedIn(role: 'syndic' | 'accountant' | 'owner', locale: 'fr-BE' | 'nl-BE' | 'en-BE'): Promise<Page> {
      const context = await browser.newContext({ locale, acceptDownloads: true, viewport: { width: 1280, height: 860 } });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      await page.goto(`${baseUrl}/#token=${await fixture.token(role, { sub: `${role}-console`, buildings: [building] })}`);
      await page.getByRole('heading', { name: CATALOGUES[locale]['buildings.heading'] }).waitFor();
      await page.getByRole('link', { name: /Résidence Les Versions/ }).click();
      await page.locator(`[data-document-id="${contract.id}"]`).waitFor();
      return page;
    }

    beforeAll(async () => {
      await mkdir(SCREENSHOTS, { recursive: true });
      [fixture, browser] = await Promise.all([factory({ listen: true }), launchChromium()]);
      baseUrl = fixture.baseUrl as string;
      const syndic = await fixture.token('syndic', { sub: 'syndic-console' });
      building = await registerBuildingAt(baseUrl, syndic, { name: 'Résidence Les Versions' });
      const { payload, headers } = documentUpload({ type: 'contract', title: 'Contrat ascenseur', fileName: 'contrat-2025.pdf', content: first });
      const response = await fetch(`${baseUrl}/api/v1/buildings/${building}/documents`, { method: 'POST', body: new Uint8Array(payload), headers: { ...headers, authorization: `Bearer ${syndic}` } });
      expect(response.status).toBe(201);
      contract = (await response.json()) as Document;
    }, 660_000);
    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
    });

    it('a syndic (nl-BE) lists the versions, uploads a new one, which becomes the current content, and downloads the old one', async () => {
      const page = await signedIn('syndic', 'nl-BE');
      try {
        const row = page.locator(`tr[data-document-id="${contract.id}"]`);
        await (await documentAction(row, nl['action.versions'])).click();
        const dialog = page.getByRole('dialog', { name: fill(nl['versions.heading'], { title: 'Contrat ascenseur' }) });
        await dialog.locator('tr[data-version="1"]').waitFor();
        expect(await dialog.locator('tbody tr').count()).toBe(1);
        expect(await dialog.locator('tr[data-version="1"]').textContent()).toContain('contrat-2025.pdf');

        await dialog.getByLabel(nl['versions.file'], { exact: true }).setInputFiles({ name: 'contrat-2026.pdf', mimeType: 'application/pdf', buffer: second });
        await dialog.getByRole('button', { name: nl['versions.upload'], exact: true }).click();
        await dialog.getByText(fill(nl['versions.uploaded'], { version: 2 })).waitFor();
        await expect.poll(() => dialog.locator('tbody tr').count()).toBe(2);
        // Newest first: version 2 is the current one; the list behind shows its file.
        expect(await dialog.locator('tbody tr').first().getAttribute('data-version')).toBe('2');
        expect(await dialog.locator('tr[data-version="2"]').textContent()).toContain(nl['versions.current']);
        expect(await dialog.locator('tr[data-version="2"]').textContent()).toContain('syndic-console');
        await expect.poll(() => row.locator('td.file').textContent()).toBe('contrat-2026.pdf');
        expect((await versionsOf(contract.id)).map((version) => [version.version, version.sha256])).toEqual([
          [2, sha256(second)],
          [1, sha256(first)],
        ]);
        await page.screenshot({ path: `${SCREENSHOTS}${shots}-versions-nl.png`, fullPage: true });

        const [download] = await Promise.all([
          page.waitForEvent('download'),
          dialog.getByRole('button', { name: fill(nl['versions.downloadOf'], { version: 1 }), exact: true }).click(),
        ]);
        expect(download.suggestedFilename()).toBe('contrat-2025.pdf');
        expect(sha256(await readFile(await download.path()))).toBe(sha256(first));

        // A file the server would refuse is never sent: the dialog says why, the versions stay.
        await dialog.getByLabel(nl['versions.file'], { exact: true }).setInputFiles({ name: 'leeg.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(0) });
        await dialog.getByRole('button', { name: nl['versions.upload'], exact: true }).click();
        await dialog.getByText(nl['error.upload.empty_file']).waitFor();
        expect(await versionsOf(contract.id)).toHaveLength(2);

        await dialog.getByRole('button', { name: nl['action.close'], exact: true }).click();
        await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
      } finally {
        await page.context().close();
      }
    });

    it('an owner (en-BE) and an accountant (fr-BE, contracts are not theirs to file) see and download versions but cannot add one', async () => {
      for (const [role, locale, catalogue] of [
        ['owner', 'en-BE', en],
        ['accountant', 'fr-BE', fr],
      ] as const) {
        const page = await signedIn(role, locale);
        try {
          await (await documentAction(page.locator(`[data-document-id="${contract.id}"]`), catalogue['action.versions'])).click();
          const dialog = page.getByRole('dialog', { name: fill(catalogue['versions.heading'], { title: 'Contrat ascenseur' }) });
          await expect.poll(() => dialog.locator('tbody tr').count()).toBe(2);
          expect(await dialog.getByRole('button', { name: catalogue['versions.upload'] }).count()).toBe(0);
          expect(await dialog.getByLabel(catalogue['versions.file']).count()).toBe(0);
          const [download] = await Promise.all([
            page.waitForEvent('download'),
            dialog.getByRole('button', { name: fill(catalogue['versions.downloadOf'], { version: 2 }), exact: true }).click(),
          ]);
          expect(sha256(await readFile(await download.path()))).toBe(sha256(second));
        } finally {
          await page.context().close();
        }
      }
    });
  });
}
