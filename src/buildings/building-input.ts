import { z } from 'zod';
import { isCountryCode } from '../shared/building.js';
import { isFinancialYearEnd } from './financial-year-end.js';

const name = z.string().trim().min(1).max(200).describe('Shown wherever the building is (1–200 characters, trimmed)');
/** An address line: trimmed; empty or null clears it. */
const line = (max: number) => z.string().trim().max(max).nullable();
const country = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isCountryCode, { message: 'not an ISO 3166-1 alpha-2 country code' })
  .describe('ISO 3166-1 alpha-2 (BE, NL, FR…)');

export const financialYearEndSchema = z
  .object({ month: z.number().int().min(1).max(12), day: z.number().int().min(1).max(31) })
  .strict()
  .refine(isFinancialYearEnd, { message: 'not a day of every year (29 February is refused)' })
  .describe('The last day of the association’s financial year');

export const createBuildingSchema = z
  .object({
    id: z.string().uuid().optional().describe('The property-management application’s own id for the building (a UUID); docstore makes one when absent'),
    organizationId: z.string().uuid().optional().describe('Superadmins: the organisation the building belongs to (required); others: their own, when given'),
    name,
    address: z
      .object({ street: line(200).optional(), postalCode: line(16).optional(), city: line(100).optional(), country: country.default('BE') })
      .strict()
      .optional(),
    externalReference: line(200).optional().describe('A reference of the property-management application (free text)'),
    financialYearEnd: financialYearEndSchema.optional().describe('@default { month: 12, day: 31 }'),
  })
  .strict();

export type NewBuilding = z.output<typeof createBuildingSchema>;

export const buildingPatchSchema = z
  .object({
    name: name.optional(),
    address: z
      .object({ street: line(200).optional(), postalCode: line(16).optional(), city: line(100).optional(), country: country.optional() })
      .strict()
      .optional()
      .describe('Only the fields given change'),
    externalReference: line(200).optional(),
    financialYearEnd: financialYearEndSchema.optional(),
  })
  .strict();

export type BuildingPatch = z.output<typeof buildingPatchSchema>;
