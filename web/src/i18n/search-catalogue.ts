import type { Locale, Translator } from './index.js';

/**
 * The search panel's texts (issue 21), kept beside the main catalogues so that the panel comes in
 * files of its own; the same keys in every language (the type says so).
 */
const enBE = {
  heading: 'Search inside documents',
  headingBuilding: 'Search inside this building’s documents',
  query: 'Words to find',
  hint: 'Words, prefix*, "exact phrase", -excluded word; accents and capitals do not matter.',
  submit: 'Search',
  anyType: 'Any type',
  type: 'Type',
  year: 'Year',
  anyYear: 'Any year',
  results: '{count} documents found',
  none: 'No document contains these words.',
  more: 'More results',
  showText: 'Extracted text',
  hideText: 'Close the text',
  textOf: 'Text extracted from “{title}”',
  noText: 'No text extracted yet ({status}).',
  ocrOff: 'Scans and images are not read on this server (OCR is off).',
  open: 'Open the building',
} as const;

type SearchKey = keyof typeof enBE;

const frBE: Record<SearchKey, string> = {
  heading: 'Chercher dans les documents',
  headingBuilding: 'Chercher dans les documents de cet immeuble',
  query: 'Mots à trouver',
  hint: 'Des mots, un début de mot*, "une phrase exacte", -un mot exclu ; accents et majuscules indifférents.',
  submit: 'Chercher',
  anyType: 'Tous les types',
  type: 'Type',
  year: 'Année',
  anyYear: 'Toutes les années',
  results: '{count} documents trouvés',
  none: 'Aucun document ne contient ces mots.',
  more: 'Plus de résultats',
  showText: 'Texte extrait',
  hideText: 'Fermer le texte',
  textOf: 'Texte extrait de « {title} »',
  noText: 'Pas encore de texte extrait ({status}).',
  ocrOff: 'Les scans et les images ne sont pas lus sur ce serveur (OCR désactivé).',
  open: 'Ouvrir l’immeuble',
};

const nlBE: Record<SearchKey, string> = {
  heading: 'Zoeken in documenten',
  headingBuilding: 'Zoeken in de documenten van dit gebouw',
  query: 'Te zoeken woorden',
  hint: 'Woorden, begin van een woord*, "exacte zin", -uitgesloten woord; accenten en hoofdletters maken niet uit.',
  submit: 'Zoeken',
  anyType: 'Alle types',
  type: 'Type',
  year: 'Jaar',
  anyYear: 'Alle jaren',
  results: '{count} documenten gevonden',
  none: 'Geen enkel document bevat deze woorden.',
  more: 'Meer resultaten',
  showText: 'Geëxtraheerde tekst',
  hideText: 'Tekst sluiten',
  textOf: 'Tekst geëxtraheerd uit “{title}”',
  noText: 'Nog geen tekst geëxtraheerd ({status}).',
  ocrOff: 'Scans en afbeeldingen worden op deze server niet gelezen (OCR staat uit).',
  open: 'Gebouw openen',
};

export const SEARCH_CATALOGUES: Record<Locale, Record<SearchKey, string>> = { 'en-BE': enBE, 'fr-BE': frBE, 'nl-BE': nlBE };

/** A search text in the translator's language, `{name}` replaced by `params`. */
export function searchText(tr: Translator, key: SearchKey, params: Record<string, string | number> = {}): string {
  return SEARCH_CATALOGUES[tr.locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
