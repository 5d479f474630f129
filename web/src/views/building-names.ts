import type { BuildingSummary } from '../api.js';
import type { Translator } from '../i18n/index.js';

/** The name shown for a building: its own, or "unnamed building" for one the migration registered. */
export function buildingName(tr: Translator, building: Pick<BuildingSummary, 'name'>): string {
  return building.name === '' ? tr.t('buildings.unnamed') : building.name;
}

/** The address on one line (street, postal code and city, country when not Belgium), or ''. */
export function addressLine(building: Pick<BuildingSummary, 'address'>): string {
  const { street, postalCode, city, country } = building.address;
  const place = [postalCode, city].filter((part) => part !== null && part !== '').join(' ');
  return [street, place, country === 'BE' ? null : country].filter((part) => part !== null && part !== '').join(', ');
}
