import { InvalidArgumentError, Option, type Command } from 'commander';
import { ROLES } from '../shared/principal.js';
import { parseDuration, failWithUsageProblems } from './cli-arguments.js';
import type { ConfiguredTokenRequest } from './console-commands.js';

/** The options of `docstore token` and `docstore open` as commander hands them over: unchecked text. */
export interface TokenOptionValues {
  sub?: string;
  org?: string;
  role?: string;
  building?: string[];
  ttl: string;
}

/** Defaults of the options that have one (`docstore open`); `docstore token` has none but the lifetime. */
export interface TokenOptionDefaults {
  sub?: string;
  org?: string;
  role?: string;
  /** The lifetime's default, as shown in the help. @default '1h' */
  ttl?: string;
  /** The longest lifetime accepted, with what to say beyond it. */
  maxTtl?: { seconds: number; text: string };
}

/**
 * Adds the options of a minted token. None is checked by commander (which would stop at the first
 * problem): `tokenRequestOf` checks them all at once, against the claims the API accepts.
 */
export function addTokenOptions(command: Command, defaults: TokenOptionDefaults = {}): Command {
  const option = (flags: string, description: string, value: string | undefined) =>
    value === undefined ? new Option(flags, `${description} (required)`) : new Option(flags, description).default(value);
  return command
    .addOption(option('--sub <id>', 'user id (recorded as uploadedBy), 1 to 255 characters', defaults.sub))
    .addOption(option('--org <uuid>', 'organisation id', defaults.org))
    .addOption(option('--role <role>', `role: ${ROLES.join(', ')}`, defaults.role))
    .option('--building <uuid...>', 'buildings a board_member or owner may read')
    .addOption(new Option('--ttl <duration>', `lifetime: 30s, 15m, 1h${defaults.maxTtl === undefined ? ', 7d' : ` (at most ${defaults.maxTtl.text})`}`).default(defaults.ttl ?? '1h', defaults.ttl ?? '1h'));
}

/**
 * The token request the options describe; any missing or invalid option is a usage error (exit 2)
 * that names every problem at once, so that no token the API would refuse is minted.
 */
export async function tokenRequestOf(command: Command, values: TokenOptionValues, defaults: TokenOptionDefaults = {}): Promise<ConfiguredTokenRequest> {
  // Loaded here, not at start-up: `docstore --help` and the other commands need no JWT library.
  const { tokenClaimsSchema } = await import('../auth/jwt-verifier.js');
  const problems: string[] = [];
  const claims = tokenClaimsSchema.safeParse({ sub: values.sub, org: values.org, role: values.role, buildings: values.building ?? [] });
  if (!claims.success) {
    const seen = new Set<string>();
    for (const issue of claims.error.issues) {
      const problem = claimProblem(issue.path, values);
      if (!seen.has(problem)) problems.push(problem);
      seen.add(problem);
    }
  }
  let ttlSeconds = 0;
  try {
    ttlSeconds = parseDuration(values.ttl);
    if (ttlSeconds < 1) problems.push('--ttl: at least 1s');
    else if (defaults.maxTtl !== undefined && ttlSeconds > defaults.maxTtl.seconds) problems.push(`--ttl: at most ${defaults.maxTtl.text}`);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    problems.push(`--ttl: ${JSON.stringify(values.ttl)}: ${error.message}`);
  }
  if (!claims.success || problems.length > 0) failWithUsageProblems(command, problems);
  return { sub: claims.data.sub, org: claims.data.org, role: claims.data.role, buildings: claims.data.buildings, ttlSeconds };
}

function claimProblem(path: readonly PropertyKey[], values: TokenOptionValues): string {
  const [claim, index] = path;
  switch (claim) {
    case 'sub':
      return values.sub === undefined ? '--sub: missing' : '--sub: 1 to 255 characters';
    case 'org':
      return values.org === undefined ? '--org: missing (an organisation UUID)' : `--org: ${JSON.stringify(values.org)} is not a UUID`;
    case 'role':
      return values.role === undefined ? `--role: missing (one of ${ROLES.join(', ')})` : `--role: ${JSON.stringify(values.role)} is not one of ${ROLES.join(', ')}`;
    case 'buildings': {
      const value = typeof index === 'number' ? values.building?.[index] : undefined;
      return value === undefined ? '--building: at most 10000 buildings' : `--building: ${JSON.stringify(value)} is not a UUID`;
    }
    default:
      return `--${String(claim)}: invalid`;
  }
}
