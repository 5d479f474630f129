import { InvalidArgumentError } from 'commander';

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
