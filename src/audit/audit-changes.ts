/** One field's change, as an audit entry records it (`details.changes`). */
export interface FieldChange {
  from: unknown;
  to: unknown;
}

/**
 * The fields whose value differs between `before` and `after`, as `{ field: { from, to } }`; a
 * field absent from `after` is unchanged. Dates and other values are compared by their JSON.
 */
export function changesBetween(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const [field, to] of Object.entries(after)) {
    if (to === undefined) continue;
    const from = before[field] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}
