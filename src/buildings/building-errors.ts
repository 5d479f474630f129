import { DocstoreError } from '../errors/docstore-error.js';

/** Codes of the buildings registry, which the HTTP error mapper turns into problem+json. */
export const BUILDING_ERROR_CODES = ['building.not_found', 'building.already_exists', 'building.invalid_input', 'building.invalid_cursor'] as const;

export type BuildingErrorCode = (typeof BUILDING_ERROR_CODES)[number];

export class BuildingError extends DocstoreError<BuildingErrorCode> {
  constructor(code: BuildingErrorCode, message: string, context: Record<string, unknown> = {}, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, context });
  }

  /** Unknown, or one the caller may not see: both answer alike, so existence is not revealed. */
  static notFound(id: string): BuildingError {
    return new BuildingError('building.not_found', `Building ${id} not found`, { id });
  }

  /** The id is registered already, by this organisation or another (which is not said). */
  static alreadyExists(id: string): BuildingError {
    return new BuildingError('building.already_exists', `Building ${id} is already registered`, { id });
  }

  static invalid(field: string, reason: string): BuildingError {
    return new BuildingError('building.invalid_input', `${field}: ${reason}`, { field, reason });
  }
}

export function isBuildingError(error: unknown): error is BuildingError {
  return error instanceof BuildingError;
}
