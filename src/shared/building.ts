import type { BuildingPermissions } from './building-permissions.js';

/** The last day of the association's financial year (its accounts close then; 31 December by default). */
export interface FinancialYearEnd {
  /** 1–12. */
  month: number;
  /** 1–31, a day that month has in every year (29 February is refused). */
  day: number;
}

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

/** A building as the caller sees it: its registration, usage figures and what the caller may do there. */
export interface BuildingSummary extends Building {
  /** Live documents (the trash is counted apart). */
  documents: { count: number; bytes: number };
  /** Documents in the trash, until purged. */
  trash: { count: number; bytes: number };
  /** What the caller's role allows here; the API still checks every request. */
  permissions: BuildingPermissions;
}

export interface BuildingPage {
  items: BuildingSummary[];
  nextCursor: string | null;
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
