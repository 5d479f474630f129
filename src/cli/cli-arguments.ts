import { InvalidArgumentError, type Command } from 'commander';
import { EXIT } from './exit-codes.js';

/** Parsers of command-line values shared by the commands; each raises commander's usage error (exit 2). */

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number');
  return Number(value);
}

export function parsePositive(value: string): number {
  const count = parseCount(value);
  if (count < 1) throw new InvalidArgumentError('at least 1');
  return count;
}

export function parsePercent(value: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(value);
  if (match === null || Number(match[1]) > 100) throw new InvalidArgumentError('a percentage from 0 to 100, e.g. 10%');
  return Number(match[1]);
}

export function parseDuration(value: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(value);
  if (match === null) throw new InvalidArgumentError('use a number and a unit: 30s, 15m, 1h, 7d');
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** One problem per value of `flag` that is not a UUID (ids of documents, buildings, organisations). */
export function uuidProblems(flag: string, values: readonly string[] = []): string[] {
  return values.filter((value) => !UUID.test(value)).map((value) => `${flag}: ${JSON.stringify(value)} is not a UUID`);
}

/**
 * Reports every problem with a command's options at once, as commander reports one: `error: …` on
 * stderr, then the command's help, exit code 2.
 */
export function failWithUsageProblems(command: Command, problems: readonly string[]): never {
  const message = problems.length === 1 ? `error: ${problems[0]}` : `error: ${problems.length} problems with the options:\n${problems.map((problem) => `  ${problem}`).join('\n')}`;
  command.error(message, { exitCode: EXIT.usage, code: 'commander.invalidArgument' });
}
