import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Locator, Page } from 'playwright-core';

/** The console's two widths under test: a phone (390 × 844) and a laptop (1366 × 768). */
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1366, height: 768 } as const;

/** How far the page scrolls sideways (0: it does not): `scrollWidth - clientWidth` of the page. */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return Math.max(root.scrollWidth - root.clientWidth, document.documentElement.scrollWidth - innerWidth);
  });
}

/**
 * Buttons, links and fields on screen smaller than `min` × `min` CSS pixels, each as
 * `tag "name" w×h` (the skip link, off screen until focused, is not on screen).
 */
export function smallTouchTargets(page: Page, min = 44): Promise<string[]> {
  return page.evaluate((size) => {
    const small: string[] = [];
    for (const element of document.querySelectorAll<HTMLElement>('button, a[href], input:not([type=hidden]), select, textarea, label.button, summary')) {
      // A visually hidden file input is reached through its label, which is measured instead.
      if (element.matches('input.visually-hidden')) continue;
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || box.right <= 0 || box.left >= innerWidth) continue;
      if (getComputedStyle(element).visibility === 'hidden') continue;
      if (box.width < size - 0.5 || box.height < size - 0.5) small.push(`${element.tagName.toLowerCase()} "${(element.getAttribute('aria-label') ?? element.textContent ?? '').trim().slice(0, 40)}" ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    return small;
  }, min);
}

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** An axe-core violation, in short: rule, impact and where. */
export interface AxeFinding {
  id: string;
  impact: string | null;
  targets: string[];
}

/**
 * axe-core's WCAG 2.0–2.2 A and AA rules on the page as it is now (evaluated through the DevTools
 * protocol, which the console's CSP does not govern).
 */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] });
    return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, targets: violation.nodes.map((node) => node.target.join(' ')) }));
  });
}

/** Opens the “More” menu of a document's row or card, unless it is open (or the document has none). */
export async function openActions(document: Locator): Promise<void> {
  const toggle = document.locator('button.menu-toggle');
  if ((await toggle.count()) === 1 && (await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

/** A document's action button, opening its menu first when the action is in it. */
export async function documentAction(document: Locator, name: string): Promise<Locator> {
  const button = document.getByRole('button', { name, exact: true });
  if ((await button.count()) === 0) await openActions(document);
  return button;
}

/** Presses Tab until `selector` has the focus (at most `limit` presses), as a keyboard user would. */
export async function tabTo(page: Page, selector: string, limit = 60): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await page.evaluate((wanted) => document.activeElement?.matches(wanted) === true, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} never got the focus after ${limit} Tab presses`);
}
