import { mkdir, readFile } from 'node:fs/promises';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { AUDIT_CATALOGUES } from '../../web/src/i18n/audit-catalogue.js';
import { CATALOGUES } from '../../web/src/i18n/index.js';
import { launchChromium, pdfDocument } from '../support/browser.js';
import { registerBuildingAt } from '../support/buildings.js';
import { ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { axeViolations, documentAction, horizontalOverflow, smallTouchTargets } from './page-checks.js';

const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const fr = CATALOGUES['fr-BE'];
const en = CATALOGUES['en-BE'];
const nl = CATALOGUES['nl-BE'];
const afr = AUDIT_CATALOGUES['fr-BE'];
const aen = AUDIT_CATALOGUES['en-BE'];
const anl = AUDIT_CATALOGUES['nl-BE'];
const fill = (text: string, values: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));

/** The entries a history or activity list shows, top to bottom: action and actor's subject. */
async function shownEntries(list: Locator): Promise<Array<{ action: string; actor: string }>> {
  return list.locator('li.audit-entry').evaluateAll((items) => items.map((item) => ({ action: item.getAttribute('data-action') ?? '', actor: item.getAttribute('data-actor') ?? '' })));
}

for (const [pairName, factory] of SERVICE_PAIRS) {
  const shots = pairName.startsWith('local') ? 'local' : 's3';
  describe(`a document's history and a building's activity in the console (Debian's chromium) on ${pairName}`, { timeout: 180_000 }, () => {
    let fixture: ServiceFixture;
    let browser: Browser;
    let baseUrl: string;
    let building: string;
    let documentId: string;
    const content = pdfDocument('Contrat nettoyage', 30 * 1024);

    /** A page signed in as `sub` with `role`, in `locale`, at `width`, on the building. */
    async function signedIn(role: 'syndic' | 'owner' | 'board_member' | 'superadmin', sub: string, locale: 'fr-BE' | 'nl-BE' | 'en-BE', width = 1280, org?: string): Promise<Page> {
      const context = await browser.newContext({ locale, acceptDownloads: true, viewport: { width, height: 860 } });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      await page.goto(`${baseUrl}/#token=${await fixture.token(role, { sub, buildings: [building], ...(org === undefined ? {} : { org }) })}`);
      await page.getByRole('heading', { name: CATALOGUES[locale]['buildings.heading'] }).waitFor();
      await page.getByRole('link', { name: /Résidence Les Traces/ }).click();
      return page;
    }

    beforeAll(async () => {
      await mkdir(SCREENSHOTS, { recursive: true });
      [fixture, browser] = await Promise.all([factory({ listen: true }), launchChromium()]);
      baseUrl = fixture.baseUrl as string;
      building = await registerBuildingAt(baseUrl, await fixture.token('syndic', { sub: 'syndic-traces' }), { name: 'Résidence Les Traces' });
    }, 660_000);
    afterAll(async () => {
      await browser?.close();
      await fixture?.close();
    });

    it('a syndic (fr-BE) uploads, edits, downloads, and sees those in the History, newest first, with the change of title', async () => {
      const page = await signedIn('syndic', 'syndic-traces', 'fr-BE');
      try {
        await page.getByRole('button', { name: fr['upload.open'], exact: true }).click();
        await page.locator('#upload-files').setInputFiles([{ name: 'nettoyage.pdf', mimeType: 'application/pdf', buffer: content }]);
        await page.getByLabel(fill(fr['upload.fileTitle'], { file: 'nettoyage.pdf' })).fill('Contrat de nettoyage');
        await page.getByRole('button', { name: fill(fr['upload.start'], { count: '1' }) }).click();
        await page.getByText(fill(fr['upload.finished'], { titles: 'Contrat de nettoyage' })).waitFor();
        const row = page.locator('table.documents tbody tr', { hasText: 'Contrat de nettoyage' });
        documentId = (await row.getAttribute('data-document-id')) as string;

        await (await documentAction(row, fr['action.edit'])).click();
        await page.getByLabel(fr['list.title'], { exact: true }).fill('Contrat de nettoyage 2026');
        await page.getByRole('button', { name: fr['action.save'] }).click();
        await page.getByText(fill(fr['saved.done'], { title: 'Contrat de nettoyage 2026' })).waitFor();

        const edited = page.locator(`tr[data-document-id="${documentId}"]`);
        await edited.waitFor();
        const [download] = await Promise.all([page.waitForEvent('download'), (await documentAction(edited, fill(fr['action.downloadOf'], { file: 'Contrat de nettoyage 2026' }))).click()]);
        expect((await readFile(await download.path())).equals(content)).toBe(true);

        await (await documentAction(edited, fr['action.history'])).click();
        const dialog = page.getByRole('dialog', { name: fill(afr['history.heading'], { title: 'Contrat de nettoyage 2026' }) });
        const list = dialog.getByRole('list', { name: afr['entry.list'] });
        // The download is a signed link: its issue to the syndic, then its use by the link's bearer.
        await expect.poll(() => shownEntries(list)).toEqual([
          { action: 'document.link_use', actor: '' },
          { action: 'document.link_issue', actor: 'syndic-traces' },
          { action: 'document.update', actor: 'syndic-traces' },
          { action: 'document.upload', actor: 'syndic-traces' },
        ]);
        const update = list.locator('li[data-action="document.update"]');
        expect(await update.textContent()).toContain(afr['action.document.update']);
        expect(await update.textContent()).toContain(fill(afr['entry.change'], { field: afr['field.title'], from: 'Contrat de nettoyage', to: 'Contrat de nettoyage 2026' }));
        expect(await update.textContent()).toContain(fill(afr['entry.by'], { actor: fill(afr['entry.actorRole'], { actor: 'syndic-traces', role: fr['role.syndic'] }) }));
        expect(await list.locator('li[data-action="document.upload"]').textContent()).toContain(fill(afr['entry.version'], { version: 1 }));
        // The syndic's view has the request's origin.
        expect(await update.textContent()).toContain(fill(afr['entry.origin'], { address: '127.0.0.1' }));
        // Dates in the locale: the time element carries the instant, its text is French.
        const at = (await update.locator('time').getAttribute('datetime')) as string;
        const shown = (await update.locator('time').textContent()) as string;
        expect(shown).toContain(String(new Date(at).getUTCFullYear()));
        expect(shown).not.toContain(at.slice(0, 10));
        expect(await axeViolations(page)).toEqual([]);
        await page.screenshot({ path: `${SCREENSHOTS}${shots}-history-fr.png`, fullPage: true });
        await dialog.getByRole('button', { name: fr['action.close'], exact: true }).click();
        await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
      } finally {
        await page.context().close();
      }
    });

    it('an owner (en-BE) sees the changes and its own download in the History, not the syndic’s download', async () => {
      const page = await signedIn('owner', 'owner-traces', 'en-BE');
      try {
        const item = page.locator(`[data-document-id="${documentId}"]`);
        await item.waitFor();
        const [download] = await Promise.all([page.waitForEvent('download'), (await documentAction(item, fill(en['action.downloadOf'], { file: 'Contrat de nettoyage 2026' }))).click()]);
        expect((await readFile(await download.path())).equals(content)).toBe(true);
        await (await documentAction(item, en['action.history'])).click();
        const dialog = page.getByRole('dialog', { name: fill(aen['history.heading'], { title: 'Contrat de nettoyage 2026' }) });
        await dialog.getByText(aen['scope.owner']).waitFor();
        // Its own link, the syndic's changes; neither the syndic's link nor any link's use (they name no person).
        await expect.poll(() => shownEntries(dialog.getByRole('list', { name: aen['entry.list'] }))).toEqual([
          { action: 'document.link_issue', actor: 'owner-traces' },
          { action: 'document.update', actor: 'syndic-traces' },
          { action: 'document.upload', actor: 'syndic-traces' },
        ]);
        // No addresses in an owner's view.
        expect(await dialog.textContent()).not.toContain('127.0.0.1');
        expect(await axeViolations(page)).toEqual([]);
      } finally {
        await page.context().close();
      }
    });

    it('the syndic’s activity view (nl-BE) filters by action and exports a CSV and JSON Lines of the building', async () => {
      const page = await signedIn('syndic', 'syndic-traces', 'nl-BE');
      try {
        await page.getByRole('link', { name: nl['building.activity'], exact: true }).click();
        await page.getByRole('heading', { name: anl['activity.heading'] }).waitFor();
        expect(page.url()).toContain(`#/buildings/${building}/activity`);
        const list = page.getByRole('list', { name: anl['entry.list'] });
        await expect.poll(async () => (await shownEntries(list)).map((entry) => entry.action)).toContain('building.create');
        expect((await shownEntries(list)).map((entry) => entry.action)).toContain('document.link_use');

        await page.locator('.activity select[name=action]').selectOption({ label: anl['action.document.update'] });
        await page.getByRole('button', { name: anl['activity.apply'], exact: true }).click();
        await expect.poll(() => shownEntries(list)).toEqual([{ action: 'document.update', actor: 'syndic-traces' }]);
        expect(await list.textContent()).toContain(fill(anl['entry.change'], { field: anl['field.title'], from: 'Contrat de nettoyage', to: 'Contrat de nettoyage 2026' }));
        // The document by its title (read from the API), not its id.
        await expect.poll(() => list.locator(`li[data-document-id="${documentId}"]`).textContent()).toBe(fill(anl['entry.document'], { id: 'Contrat de nettoyage 2026' }));
        await page.locator('.activity input[name=actor]').fill('owner-traces');
        await page.locator('.activity select[name=action]').selectOption('');
        await page.getByRole('button', { name: anl['activity.apply'], exact: true }).click();
        await expect.poll(() => shownEntries(list)).toEqual([{ action: 'document.link_issue', actor: 'owner-traces' }]);

        const today = new Date().toISOString().slice(0, 10);
        await page.locator('.activity input[name=from]').fill(today);
        await page.locator('.activity input[name=to]').fill(today);
        await page.getByRole('button', { name: anl['activity.apply'], exact: true }).click();
        const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: anl['activity.exportCsv'], exact: true }).click()]);
        const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
        expect(csv.suggestedFilename()).toBe(`audit-${building}-${today}-${tomorrow}.csv`);
        await page.getByText(fill(anl['activity.exported'], { file: csv.suggestedFilename() })).waitFor();
        const text = await readFile(await csv.path(), 'utf8');
        expect(text.startsWith('\uFEFF')).toBe(true);
        const lines = text.slice(1).split('\r\n').filter((line) => line !== '');
        expect(lines[0]).toMatch(/^chain_seq,entry_hash,previous_hash,id,at,/);
        const actions = lines.slice(1).map((line) => /,(document\.\w+|building\.\w+|audit\.\w+|access\.\w+),/.exec(line)?.[1]);
        // Oldest first, the whole building (the actor filter is the list's, not the export's), the export itself last.
        expect(actions).toEqual(['building.create', 'document.upload', 'document.update', 'document.link_issue', 'document.link_use', 'document.link_issue', 'document.link_use', 'audit.export']);
        expect(lines.every((line, index) => index === 0 || line.includes(building))).toBe(true);
        expect(text).toContain('syndic-traces');

        const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: anl['activity.exportJsonl'], exact: true }).click()]);
        const entries = (await readFile(await jsonl.path(), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { action: string; building_id: string });
        expect(entries.map((entry) => entry.action).slice(-2)).toEqual(['audit.export', 'audit.export']);
        expect(entries.every((entry) => entry.building_id === building)).toBe(true);
        expect(await axeViolations(page)).toEqual([]);
      } finally {
        await page.context().close();
      }
    });

    it('a superadmin of another organisation (en-BE) reads the building’s trail by naming its organisation', async () => {
      const page = await signedIn('superadmin', 'operator-traces', 'en-BE', 1280, ORG_B);
      try {
        const row = page.locator(`[data-document-id="${documentId}"]`);
        await row.waitFor();
        await (await documentAction(row, en['action.history'])).click();
        const dialog = page.getByRole('dialog', { name: fill(aen['history.heading'], { title: 'Contrat de nettoyage 2026' }) });
        await expect.poll(async () => (await shownEntries(dialog.getByRole('list', { name: aen['entry.list'] }))).map((entry) => entry.action).slice(-2)).toEqual(['document.update', 'document.upload']);
        await dialog.getByRole('button', { name: en['action.close'], exact: true }).click();
        await page.getByRole('link', { name: en['building.activity'], exact: true }).click();
        const list = page.getByRole('list', { name: aen['entry.list'] });
        await expect.poll(async () => (await shownEntries(list)).map((entry) => entry.action)).toContain('building.create');
        const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: aen['activity.exportCsv'], exact: true }).click()]);
        expect(await readFile(await csv.path(), 'utf8')).toContain('Contrat de nettoyage 2026');
      } finally {
        await page.context().close();
      }
    });

    for (const width of [320, 390]) {
      it(`at ${width} px: the History and the activity view have no sideways scroll, 44 px targets and no axe violation (syndic; board member without addresses)`, async () => {
        for (const [role, sub] of [
          ['syndic', 'syndic-traces'],
          ['board_member', 'board-traces'],
        ] as const) {
          const page = await signedIn(role, sub, 'fr-BE', width);
          try {
            const card = page.locator(`[data-document-id="${documentId}"]`);
            await card.waitFor();
            await (await documentAction(card, fr['action.history'])).click();
            const dialog = page.getByRole('dialog', { name: fill(afr['history.heading'], { title: 'Contrat de nettoyage 2026' }) });
            await expect.poll(() => dialog.locator('li.audit-entry').count()).toBeGreaterThanOrEqual(4);
            expect(await horizontalOverflow(page)).toBe(0);
            expect(await smallTouchTargets(page)).toEqual([]);
            expect(await axeViolations(page)).toEqual([]);
            await page.screenshot({ path: `${SCREENSHOTS}${shots}-history-${role}-${width}.png`, fullPage: true });
            await dialog.getByRole('button', { name: fr['action.close'], exact: true }).click();

            await page.getByRole('link', { name: fr['building.activity'], exact: true }).click();
            const list = page.getByRole('list', { name: afr['entry.list'] });
            await expect.poll(() => list.locator('li.audit-entry').count()).toBeGreaterThanOrEqual(9);
            // A board member's view has no client addresses.
            if (role === 'board_member') expect(await list.textContent()).not.toContain('127.0.0.1');
            else expect(await list.textContent()).toContain('127.0.0.1');
            expect(await horizontalOverflow(page)).toBe(0);
            expect(await smallTouchTargets(page)).toEqual([]);
            expect(await axeViolations(page)).toEqual([]);
            await page.screenshot({ path: `${SCREENSHOTS}${shots}-activity-${role}-${width}.png`, fullPage: true });
          } finally {
            await page.context().close();
          }
        }
      });
    }
  });
}
