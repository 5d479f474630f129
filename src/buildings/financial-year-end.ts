import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { BuildingError } from './building-errors.js';
import { findBuilding } from './building-repository.js';
import type { FinancialYearEnd } from '../shared/building.js';

export const DEFAULT_FINANCIAL_YEAR_END: FinancialYearEnd = { month: 12, day: 31 };

/** Days of each month in a common year: a financial year cannot end on 29 February. */
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Whether `month`/`day` is a day of every year (29 February is not). */
export function isFinancialYearEnd(value: { month: number; day: number }): boolean {
  const days = DAYS_IN_MONTH[value.month - 1];
  return Number.isInteger(value.month) && Number.isInteger(value.day) && days !== undefined && value.day >= 1 && value.day <= days;
}

/**
 * The financial-year end of a registered building (for the retention rules); no authorisation:
 * the caller has established that the principal may see the building. An unknown building is
 * `building.not_found`.
 */
export async function financialYearEndOf(db: Kysely<Database> | Transaction<Database>, buildingId: string): Promise<FinancialYearEnd> {
  const row = await findBuilding(db, buildingId);
  if (row === undefined) throw BuildingError.notFound(buildingId);
  return { month: Number(row.financial_year_end_month), day: Number(row.financial_year_end_day) };
}
