import type { FinancialYearEnd } from './financial-year-end.js';

export interface BuildingAddress {
  street: string | null;
  postalCode: string | null;
  city: string | null;
  /** ISO 3166-1 alpha-2, upper case. @default 'BE' */
  country: string;
}

/** A registered building, as the API returns it. */
export interface Building {
  id: string;
  organizationId: string;
  /** Empty for a building registered by the migration of an older database, until named. */
  name: string;
  address: BuildingAddress;
  /** The property-management application's reference, when it gave one. */
  externalReference: string | null;
  financialYearEnd: FinancialYearEnd;
  createdAt: string;
  updatedAt: string;
}

/** The key buildings are sorted by: the name in lower case, without accents (same order on every database). */
export function nameKey(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().slice(0, 200);
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** Whether `code` is a country code of ISO 3166-1 alpha-2 (upper case) that ICU names (and not ZZ, "unknown region"). */
export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && code !== 'ZZ' && regionNames.of(code) !== undefined;
}
