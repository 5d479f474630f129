import { DOCUMENT_TYPES, type DocumentType } from '../../shared/document.js';
import { addYears, daysInMonth, format, parts, type CalendarDate } from './calendar-date.js';

/**
 * How long a class of documents must be kept: a number of whole years, for the life of the
 * association (`permanent`), or no legal minimum (`none`). The legal basis of the defaults is in
 * docs/retention.md; they are not legal advice.
 */
export type RetentionPeriod = { kind: 'years'; years: number } | { kind: 'permanent' } | { kind: 'none' };

/** What a retention counts from. */
export type RetentionBasis =
  /** 1 January after the close of the financial year the document's date belongs to. */
  | 'financial_year'
  /** The contract's end date. */
  | 'contract_end'
  /** The upload date (a contract without end date). */
  | 'upload'
  /** A date set on the document itself, with a written reason (`PUT …/retention`). */
  | 'override'
  | 'permanent'
  | 'none';

/** Longest period in years that configuration accepts (a typo like 1000 is refused). */
export const MAX_RETENTION_YEARS = 100;

/** docstore's defaults, before the service's configuration (`DOCSTORE_RETENTION`) and an organisation's policy. */
export const DEFAULT_RETENTION: Readonly<Record<DocumentType, RetentionPeriod>> = {
  invoice: { kind: 'years', years: 10 },
  financial_statement: { kind: 'years', years: 10 },
  works_quote: { kind: 'years', years: 10 },
  contract: { kind: 'years', years: 10 },
  meeting_minutes: { kind: 'permanent' },
  regulation: { kind: 'permanent' },
  basic_deed: { kind: 'permanent' },
  owner_document: { kind: 'none' },
  other: { kind: 'none' },
};

/** Periods by type: each layer (service configuration, organisation policy) overrides some types. */
export type RetentionTable = Readonly<Record<DocumentType, RetentionPeriod>>;
export type RetentionOverrides = Partial<Record<DocumentType, RetentionPeriod>>;

export function withOverrides(table: RetentionTable, ...layers: RetentionOverrides[]): RetentionTable {
  return Object.assign({}, table, ...layers) as RetentionTable;
}

/** The day and month a financial year closes on: 31 December for most associations, 30 June for some. */
export interface FinancialYearEnd {
  month: number;
  day: number;
}

export const CALENDAR_YEAR_END: FinancialYearEnd = { month: 12, day: 31 };

/** What a document's retention is computed from. */
export interface RetentionInput {
  type: DocumentType;
  /** The date the document bears (an invoice's date); defaults to the upload date. */
  documentDate: CalendarDate;
  /** A contract's end date, if known. */
  contractEndDate: CalendarDate | null;
  /** The upload date (a contract without end date counts from it). */
  uploadDate: CalendarDate;
  /** A date set on the document with a written reason: replaces the computed one, permanent included. */
  retainUntilOverride: CalendarDate | null;
  financialYearEnd: FinancialYearEnd;
}

/** A document's retention: until which date (exclusive) it must be kept, or forever. */
export interface Retention {
  /** The first day the document may be deleted; null when permanent or without minimum. */
  retainUntil: CalendarDate | null;
  permanent: boolean;
  basis: RetentionBasis;
  /** For `financial_year`: the day the document's financial year closes. */
  financialYearClose?: CalendarDate;
}

/**
 * The close of the financial year `date` belongs to: the first financial-year end on or after it.
 * With a year ending 30 June, 2025-06-30 belongs to the year closing 2025-06-30 and 2025-07-01 to
 * the one closing 2026-06-30. An end of 29 February closes on the last day of February.
 */
export function financialYearClose(date: CalendarDate, end: FinancialYearEnd): CalendarDate {
  const closeIn = (year: number) => format(year, end.month, end.month === 2 && end.day === 29 ? daysInMonth(year, 2) : end.day);
  const sameYear = closeIn(parts(date).year);
  return date <= sameYear ? sameYear : closeIn(parts(date).year + 1);
}

/**
 * Computes a document's retention under `table`:
 * - a contract: `years` after its end date, or after its upload when it has none;
 * - any other type with a number of years: `years` from 1 January after the close of the financial
 *   year its date belongs to (an invoice of 2025-03-10, year closing 31 December: from 2026-01-01,
 *   kept until 2036-01-01 with 10 years);
 * - `permanent`: never deletable through docstore; `none`: no minimum.
 * An override on the document replaces all of it.
 */
export function computeRetention(input: RetentionInput, table: RetentionTable): Retention {
  if (input.retainUntilOverride !== null) return { retainUntil: input.retainUntilOverride, permanent: false, basis: 'override' };
  const period = table[input.type];
  if (period.kind === 'permanent') return { retainUntil: null, permanent: true, basis: 'permanent' };
  if (period.kind === 'none' || period.years === 0) return { retainUntil: null, permanent: false, basis: 'none' };
  if (input.type === 'contract') {
    return input.contractEndDate !== null
      ? { retainUntil: addYears(input.contractEndDate, period.years), permanent: false, basis: 'contract_end' }
      : { retainUntil: addYears(input.uploadDate, period.years), permanent: false, basis: 'upload' };
  }
  const close = financialYearClose(input.documentDate, input.financialYearEnd);
  const closeYear = parts(close).year;
  return { retainUntil: format(closeYear + 1 + period.years, 1, 1), permanent: false, basis: 'financial_year', financialYearClose: close };
}

/** Whether the retention still forbids deleting on `today` (the day of `retainUntil` it no longer does). */
export function isRetained(retention: Retention, today: CalendarDate): boolean {
  return retention.permanent || (retention.retainUntil !== null && today < retention.retainUntil);
}

/** Whether `next` keeps the document at least as long as `previous` (so that no reason is needed). */
export function isAtLeastAsLong(next: Retention, previous: Retention): boolean {
  if (previous.permanent) return next.permanent;
  if (next.permanent || previous.retainUntil === null) return true;
  return next.retainUntil !== null && next.retainUntil >= previous.retainUntil;
}

/** `10`, `permanent` or `none` (0 years is `none`). */
export function formatPeriod(period: RetentionPeriod): string {
  return period.kind === 'years' ? String(period.years) : period.kind;
}

/** Reads `10`, `permanent` or `none`; throws `RangeError` naming what is accepted. */
export function parsePeriod(text: string): RetentionPeriod {
  const value = text.trim().toLowerCase();
  if (value === 'permanent') return { kind: 'permanent' };
  if (value === 'none' || value === '0') return { kind: 'none' };
  if (/^\d{1,3}$/.test(value) && Number(value) <= MAX_RETENTION_YEARS) return { kind: 'years', years: Number(value) };
  throw new RangeError(`${JSON.stringify(text)} is not a retention period: give a number of years (1–${MAX_RETENTION_YEARS}), "permanent" or "none"`);
}

/**
 * Reads `DOCSTORE_RETENTION`: comma-separated `type=period` pairs (`invoice=7,other=3,contract=permanent`).
 * Throws `RangeError` naming the first bad pair.
 */
export function parseRetentionOverrides(text: string): RetentionOverrides {
  const overrides: RetentionOverrides = {};
  for (const pair of text.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
    const [type, period, extra] = pair.split('=');
    if (type === undefined || period === undefined || extra !== undefined) throw new RangeError(`${JSON.stringify(pair)}: write type=period`);
    if (!(DOCUMENT_TYPES as readonly string[]).includes(type.trim())) {
      throw new RangeError(`${JSON.stringify(type.trim())} is not a document type (${DOCUMENT_TYPES.join(', ')})`);
    }
    overrides[type.trim() as DocumentType] = parsePeriod(period);
  }
  return overrides;
}
