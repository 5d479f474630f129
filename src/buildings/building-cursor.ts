import { BuildingError } from './building-errors.js';

/** Where a page of the buildings listing ended: the last building's sort key and id. */
export interface BuildingPosition {
  nameKey: string;
  id: string;
}

/** An opaque cursor over the buildings listing, base64url JSON. */
export function encodeBuildingCursor(position: BuildingPosition): string {
  return Buffer.from(JSON.stringify({ v: 2, k: 'buildings', n: position.nameKey, a: position.id }), 'utf8').toString('base64url');
}

export function decodeBuildingCursor(cursor: string): BuildingPosition {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new BuildingError('building.invalid_cursor', 'The cursor is malformed', {}, { cause: error });
  }
  if (payload === null || typeof payload !== 'object' || payload.v !== 2 || payload.k !== 'buildings' || typeof payload.n !== 'string' || typeof payload.a !== 'string') {
    throw new BuildingError('building.invalid_cursor', 'The cursor does not belong to the buildings listing');
  }
  return { nameKey: payload.n, id: payload.a };
}
