import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../../src/shared/audit-entry.js';
import { AUDIT_CATALOGUES } from '../../web/src/i18n/audit-catalogue.js';
import { CATALOGUES, LOCALES, pickLocale, translator } from '../../web/src/i18n/index.js';
import { DOCUMENT_TYPES } from '../../src/shared/document.js';
import { ROLES } from '../../src/shared/principal.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe('the console’s message catalogues (fr-BE, nl-BE, en-BE)', () => {
  const reference = CATALOGUES['en-BE'];

  it.each(LOCALES)('%s has every key, none empty, with the same placeholders as en-BE', (locale) => {
    const catalogue = CATALOGUES[locale];
    expect(Object.keys(catalogue).sort()).toEqual(Object.keys(reference).sort());
    for (const [key, text] of Object.entries(catalogue)) {
      expect(text.trim(), `${locale} ${key}`).not.toBe('');
      expect(placeholders(text), `${locale} ${key}`).toEqual(placeholders(reference[key as keyof typeof reference]));
    }
  });

  it.each(LOCALES)('%s names the history’s and activity’s texts, every audit action and outcome, with en-BE’s placeholders', (locale) => {
    const audit = AUDIT_CATALOGUES[locale];
    const auditReference = AUDIT_CATALOGUES['en-BE'];
    expect(Object.keys(audit).sort()).toEqual(Object.keys(auditReference).sort());
    for (const [key, text] of Object.entries(audit)) {
      expect(text.trim(), `${locale} ${key}`).not.toBe('');
      expect(placeholders(text), `${locale} ${key}`).toEqual(placeholders(auditReference[key as keyof typeof auditReference]));
    }
    for (const action of AUDIT_ACTIONS) expect(Object.keys(audit)).toContain(`action.${action}`);
    for (const outcome of AUDIT_OUTCOMES) expect(Object.keys(audit)).toContain(`outcome.${outcome}`);
  });

  it('names every document type and role the API knows', () => {
    for (const type of DOCUMENT_TYPES) expect(Object.keys(reference)).toContain(`type.${type}`);
    for (const role of ROLES) expect(Object.keys(reference)).toContain(`role.${role}`);
  });

  it('picks the first browser language it speaks, by language, else English', () => {
    expect(pickLocale(['nl-NL', 'fr-BE'])).toBe('nl-BE');
    expect(pickLocale(['de-DE', 'fr-FR'])).toBe('fr-BE');
    expect(pickLocale(['FR'])).toBe('fr-BE');
    expect(pickLocale(['de-DE'])).toBe('en-BE');
    expect(pickLocale([])).toBe('en-BE');
  });

  it('formats sizes and dates per locale', () => {
    const [fr, nl, en] = LOCALES.map((locale) => translator(locale)) as [ReturnType<typeof translator>, ReturnType<typeof translator>, ReturnType<typeof translator>];
    expect(fr.size(1536).replace(/\s/g, ' ')).toBe('1,5 ko');
    expect(nl.size(1536).replace(/\s/g, ' ')).toBe('1,5 kB');
    // Belgian English writes decimals with a comma, as CLDR says.
    expect(en.size(1536).replace(/\s/g, ' ')).toBe('1,5 kB');
    expect(en.size(52_428_800).replace(/\s/g, ' ')).toBe('50 MB');
    expect(fr.size(512).replace(/\s/g, ' ')).toBe('512 o');
    // Bytes in the language's words, never “586 byte”.
    expect([fr, nl, en].map((t) => t.size(586).replace(/\s/g, ' '))).toEqual(['586 o', '586 B', '586 B']);
    expect([fr, nl, en].map((t) => t.size(3 * 1024 ** 3).replace(/\s/g, ' '))).toEqual(['3 Go', '3 GB', '3 GB']);
    expect(fr.size(52_428_800).replace(/\s/g, ' ')).toBe('50 Mo');
    const date = '2026-03-01T09:30:00.000Z';
    expect(new Set([fr.date(date), nl.date(date), en.date(date)]).size).toBe(3);
    expect(fr.date(date)).toContain('2026');
    expect(fr.t('upload.limit', { size: fr.size(1024 * 1024) }).replace(/\s/g, ' ')).toBe('Jusqu’à 1 Mo par fichier.');
  });
});
