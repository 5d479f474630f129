/**
 * The phases a benchmark runs: those named, comma-separated, in `value` (an environment variable's,
 * `variable` names it in the error), or all of `all` when it is unset or empty; an unknown phase is refused.
 */
export function phasesToRun(variable: string, value: string | undefined, all: readonly string[]): ReadonlySet<string> {
  if (value === undefined || value.trim() === '') return new Set(all);
  const asked = value.split(',').map((phase) => phase.trim());
  const unknown = asked.filter((phase) => !all.includes(phase));
  if (unknown.length > 0 || asked.length === 0) throw new Error(`${variable} takes phases among ${all.join(', ')}, not "${value}"`);
  return new Set(asked);
}
