import { enBE, type Catalogue, type MessageKey } from './en-BE.js';
import { frBE } from './fr-BE.js';
import { nlBE } from './nl-BE.js';

export type { MessageKey } from './en-BE.js';

/** The console's languages, in the order the switch shows them. */
export const LOCALES = ['fr-BE', 'nl-BE', 'en-BE'] as const;
export type Locale = (typeof LOCALES)[number];

export const CATALOGUES: Record<Locale, Catalogue> = { 'fr-BE': frBE, 'nl-BE': nlBE, 'en-BE': enBE };

/** The language names shown by the switch, each in its own language. */
export const LOCALE_NAMES: Record<Locale, string> = { 'fr-BE': 'Français', 'nl-BE': 'Nederlands', 'en-BE': 'English' };

/** Size units as each language writes them: octets in French, bytes in Dutch and English. */
const SIZE_UNITS: Record<Locale, readonly string[]> = {
  'fr-BE': ['o', 'ko', 'Mo', 'Go', 'To'],
  'nl-BE': ['B', 'kB', 'MB', 'GB', 'TB'],
  'en-BE': ['B', 'kB', 'MB', 'GB', 'TB'],
};

/** The first of the browser's languages docstore speaks (by language: `nl-NL` → nl-BE), else English. */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const language = tag.toLowerCase().split('-')[0];
    const match = LOCALES.find((locale) => locale.startsWith(`${language}-`));
    if (match !== undefined) return match;
  }
  return 'en-BE';
}

/** Translation and formatting for one locale. */
export interface Translator {
  locale: Locale;
  t(key: MessageKey, params?: Record<string, string | number>): string;
  /** Whether a key exists (error codes without a message fall back to the API's text). */
  has(key: string): key is MessageKey;
  date(iso: string): string;
  /** Bytes in binary multiples (1 kB = 1024 bytes here, as file managers show them), in the language's unit words (`586 o`, `586 B`). */
  size(bytes: number): string;
  number(value: number): string;
}

export function translator(locale: Locale): Translator {
  const catalogue = CATALOGUES[locale];
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const numbers = new Intl.NumberFormat(locale);
  const units = SIZE_UNITS[locale];
  const sizeFormats = units.map((_, index) => new Intl.NumberFormat(locale, { maximumFractionDigits: index === 0 ? 0 : 1 }));
  return {
    locale,
    t: (key, params = {}) => catalogue[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)),
    has: (key): key is MessageKey => key in catalogue,
    date: (iso) => dates.format(new Date(iso)),
    size: (bytes) => {
      let value = bytes;
      let index = 0;
      while (value >= 1024 && index < units.length - 1) {
        value /= 1024;
        index++;
      }
      // A narrow no-break space, as Intl writes it between a number and its unit.
      return `${(sizeFormats[index] as Intl.NumberFormat).format(value)}\u202f${units[index] ?? ''}`;
    },
    number: (value) => numbers.format(value),
  };
}
