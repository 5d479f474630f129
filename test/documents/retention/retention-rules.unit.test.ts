import { describe, expect, it } from 'vitest';
import { DOCUMENT_TYPES, type DocumentType } from '../../../src/shared/document.js';
import { addYears, dateInBrussels, isCalendarDate } from '../../../src/documents/retention/calendar-date.js';
import {
  CALENDAR_YEAR_END,
  DEFAULT_RETENTION,
  computeRetention,
  financialYearClose,
  isAtLeastAsLong,
  isRetained,
  parseRetentionOverrides,
  withOverrides,
  type FinancialYearEnd,
  type RetentionInput,
} from '../../../src/documents/retention/retention-rules.js';

const JUNE_30: FinancialYearEnd = { month: 6, day: 30 };

function input(type: DocumentType, documentDate: string, more: Partial<RetentionInput> = {}): RetentionInput {
  return { type, documentDate, contractEndDate: null, uploadDate: '2026-12-05', retainUntilOverride: null, financialYearEnd: CALENDAR_YEAR_END, ...more };
}

describe('financial year of a document date', () => {
  it.each([
    ['2025-01-01', CALENDAR_YEAR_END, '2025-12-31'],
    ['2025-12-31', CALENDAR_YEAR_END, '2025-12-31'],
    ['2025-06-30', JUNE_30, '2025-06-30'],
    ['2025-07-01', JUNE_30, '2026-06-30'],
    ['2024-02-29', JUNE_30, '2024-06-30'],
    ['2024-03-01', { month: 2, day: 29 }, '2025-02-28'],
    ['2024-02-29', { month: 2, day: 29 }, '2024-02-29'],
  ])('%s with a year ending %o closes on %s', (date, end, close) => {
    expect(financialYearClose(date, end)).toBe(close);
  });
});

describe('retention by type (defaults)', () => {
  const financial: DocumentType[] = ['invoice', 'financial_statement', 'works_quote'];
  const permanent: DocumentType[] = ['meeting_minutes', 'regulation', 'basic_deed'];
  const unlimited: DocumentType[] = ['owner_document', 'other'];

  it('names every document type', () => {
    expect(Object.keys(DEFAULT_RETENTION).sort()).toEqual([...DOCUMENT_TYPES].sort());
    expect([...financial, 'contract', ...permanent, ...unlimited].sort()).toEqual([...DOCUMENT_TYPES].sort());
  });

  describe.each([
    // [financial-year end, document date, close, first day it may be deleted]
    ['31 December', CALENDAR_YEAR_END, '2025-03-10', '2025-12-31', '2036-01-01'],
    ['31 December', CALENDAR_YEAR_END, '2025-12-31', '2025-12-31', '2036-01-01'],
    ['31 December', CALENDAR_YEAR_END, '2026-01-01', '2026-12-31', '2037-01-01'],
    ['30 June', JUNE_30, '2025-03-10', '2025-06-30', '2036-01-01'],
    ['30 June', JUNE_30, '2025-06-30', '2025-06-30', '2036-01-01'],
    ['30 June', JUNE_30, '2025-07-01', '2026-06-30', '2037-01-01'],
    ['30 June', JUNE_30, '2024-02-29', '2024-06-30', '2035-01-01'],
  ])('financial year ending %s, document of %s', (_name, end, documentDate, close, until) => {
    it.each(financial)('%s: 10 years from 1 January after the close', (type) => {
      const retention = computeRetention(input(type, documentDate as string, { financialYearEnd: end as FinancialYearEnd }), DEFAULT_RETENTION);
      expect(retention).toEqual({ retainUntil: until, permanent: false, basis: 'financial_year', financialYearClose: close });
      const dayBefore = `${Number((until as string).slice(0, 4)) - 1}-12-31`;
      expect(isRetained(retention, dayBefore)).toBe(true);
      expect(isRetained(retention, until as string)).toBe(false);
    });

    it.each(permanent)('%s: permanent whatever the date', (type) => {
      const retention = computeRetention(input(type, documentDate as string, { financialYearEnd: end as FinancialYearEnd }), DEFAULT_RETENTION);
      expect(retention).toEqual({ retainUntil: null, permanent: true, basis: 'permanent' });
      expect(isRetained(retention, '9999-12-31')).toBe(true);
    });

    it.each(unlimited)('%s: no minimum', (type) => {
      const retention = computeRetention(input(type, documentDate as string, { financialYearEnd: end as FinancialYearEnd }), DEFAULT_RETENTION);
      expect(retention).toEqual({ retainUntil: null, permanent: false, basis: 'none' });
      expect(isRetained(retention, documentDate as string)).toBe(false);
    });

    it('contract: 10 years after its end date, whatever the financial year', () => {
      const retention = computeRetention(input('contract', documentDate as string, { financialYearEnd: end as FinancialYearEnd, contractEndDate: '2027-09-30' }), DEFAULT_RETENTION);
      expect(retention).toEqual({ retainUntil: '2037-09-30', permanent: false, basis: 'contract_end' });
      expect(isRetained(retention, '2037-09-29')).toBe(true);
      expect(isRetained(retention, '2037-09-30')).toBe(false);
    });

    it('contract without end date: 10 years after its upload', () => {
      const retention = computeRetention(input('contract', documentDate as string, { financialYearEnd: end as FinancialYearEnd, uploadDate: '2026-12-05' }), DEFAULT_RETENTION);
      expect(retention).toEqual({ retainUntil: '2036-12-05', permanent: false, basis: 'upload' });
      expect(isRetained(retention, '2036-12-04')).toBe(true);
      expect(isRetained(retention, '2036-12-05')).toBe(false);
    });
  });

  it('a contract ending on 29 February is kept until 1 March when the year has no 29 February', () => {
    expect(computeRetention(input('contract', '2024-01-01', { contractEndDate: '2024-02-29' }), DEFAULT_RETENTION).retainUntil).toBe('2034-03-01');
    expect(computeRetention(input('contract', '2024-01-01', { contractEndDate: '2024-02-29' }), withOverrides(DEFAULT_RETENTION, { contract: { kind: 'years', years: 4 } })).retainUntil).toBe('2028-02-29');
    expect(addYears('2023-02-28', 1)).toBe('2024-02-28');
  });

  it('an override replaces the computed date, permanence included', () => {
    expect(computeRetention(input('meeting_minutes', '2025-01-01', { retainUntilOverride: '2030-01-01' }), DEFAULT_RETENTION)).toEqual({
      retainUntil: '2030-01-01',
      permanent: false,
      basis: 'override',
    });
  });
});

describe('configured periods', () => {
  it('reads type=period pairs, later layers winning', () => {
    const service = parseRetentionOverrides('invoice=7, other=3,contract=permanent,owner_document=none');
    expect(service).toEqual({ invoice: { kind: 'years', years: 7 }, other: { kind: 'years', years: 3 }, contract: { kind: 'permanent' }, owner_document: { kind: 'none' } });
    const table = withOverrides(DEFAULT_RETENTION, service, { invoice: { kind: 'years', years: 12 } });
    expect(table.invoice).toEqual({ kind: 'years', years: 12 });
    expect(table.financial_statement).toEqual({ kind: 'years', years: 10 });
    expect(computeRetention(input('other', '2025-05-05'), table).retainUntil).toBe('2029-01-01');
  });

  it.each(['invoice', 'invoice=', 'bill=7', 'invoice=7=8', 'invoice=-1', 'invoice=101', 'invoice=forever'])('refuses %j', (text) => {
    expect(() => parseRetentionOverrides(text)).toThrow(RangeError);
  });
});

describe('calendar dates', () => {
  it('today is the date in Brussels', () => {
    expect(dateInBrussels(new Date('2025-12-31T22:59:59Z'))).toBe('2025-12-31');
    expect(dateInBrussels(new Date('2025-12-31T23:00:00Z'))).toBe('2026-01-01');
    expect(dateInBrussels(new Date('2026-06-30T21:59:59Z'))).toBe('2026-06-30');
    expect(dateInBrussels(new Date('2026-06-30T22:00:00Z'))).toBe('2026-07-01');
  });

  it.each([
    ['2024-02-29', true],
    ['2025-02-29', false],
    ['2100-02-29', false],
    ['2000-02-29', true],
    ['2025-13-01', false],
    ['2025-1-01', false],
    ['2025-04-31', false],
  ])('%s is a date: %s', (text, valid) => {
    expect(isCalendarDate(text)).toBe(valid);
  });

  it('compares retentions: longer needs no reason, shorter does', () => {
    const at = (retainUntil: string | null, permanent = false) => ({ retainUntil, permanent, basis: 'override' as const });
    expect(isAtLeastAsLong(at('2036-01-01'), at('2035-01-01'))).toBe(true);
    expect(isAtLeastAsLong(at('2034-01-01'), at('2035-01-01'))).toBe(false);
    expect(isAtLeastAsLong(at(null, true), at('2035-01-01'))).toBe(true);
    expect(isAtLeastAsLong(at('2099-01-01'), at(null, true))).toBe(false);
    expect(isAtLeastAsLong(at(null), at('2035-01-01'))).toBe(false);
    expect(isAtLeastAsLong(at('2020-01-01'), at(null))).toBe(true);
  });
});
