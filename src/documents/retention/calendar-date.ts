/**
 * Calendar dates as `YYYY-MM-DD` strings (a day, no time, no zone): they compare as strings.
 * "Today" is the date in Belgium (Europe/Brussels), where the associations and their deadlines are.
 */
export type CalendarDate = string;

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `value` is a real `YYYY-MM-DD` date (2025-02-29 is not). */
export function isCalendarDate(value: string): boolean {
  const match = CALENDAR_DATE.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return year >= 1900 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

// Built on first use: loading the time zone data costs about 20 ms, which commands that never ask
// for a date (`docstore token`, through config.ts) should not pay at start-up.
let brussels: Intl.DateTimeFormat | undefined;

/** The date an instant falls on in Belgium: 2025-12-31T23:30:00Z is already 2026-01-01 there. */
export function dateInBrussels(instant: Date): CalendarDate {
  brussels ??= new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Brussels', year: 'numeric', month: '2-digit', day: '2-digit' });
  return brussels.format(instant);
}

export function parts(date: CalendarDate): { year: number; month: number; day: number } {
  const match = CALENDAR_DATE.exec(date);
  if (match === null) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

export function format(year: number, month: number, day: number): CalendarDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * The same day `years` later. 29 February of a leap year becomes 1 March when the target year has
 * no 29 February: the later of the two candidates, since a retention that ends a day late is safe
 * and one that ends a day early is not.
 */
export function addYears(date: CalendarDate, years: number): CalendarDate {
  const { year, month, day } = parts(date);
  const target = year + years;
  if (month === 2 && day === 29 && !isLeapYear(target)) return format(target, 3, 1);
  return format(target, month, day);
}
