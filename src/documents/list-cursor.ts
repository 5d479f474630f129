import { DocumentError } from './document-errors.js';
import type { ListPosition } from './document-repository.js';

/** What a cursor is bound to: a cursor from another building, filter or listing is refused. */
export interface CursorScope {
  buildingId: string;
  type: string | undefined;
  q: string | undefined;
  trash: boolean;
}

/** An opaque cursor: the last position seen and the listing it belongs to, base64url JSON. */
export function encodeCursor(scope: CursorScope, position: ListPosition): string {
  const payload = { v: 1, b: scope.buildingId, t: scope.type ?? null, q: scope.q ?? null, d: scope.trash, c: position.createdAt, i: position.id };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, scope: CursorScope): ListPosition {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new DocumentError('documents.invalid_cursor', 'The cursor is malformed', {}, { cause: error });
  }
  if (
    payload === null ||
    typeof payload !== 'object' ||
    payload.v !== 1 ||
    typeof payload.c !== 'string' ||
    typeof payload.i !== 'string' ||
    Number.isNaN(Date.parse(payload.c))
  ) {
    throw new DocumentError('documents.invalid_cursor', 'The cursor is malformed');
  }
  if (payload.b !== scope.buildingId || payload.t !== (scope.type ?? null) || payload.q !== (scope.q ?? null) || payload.d !== scope.trash) {
    throw new DocumentError('documents.invalid_cursor', 'The cursor belongs to another listing');
  }
  return { createdAt: payload.c, id: payload.i };
}
