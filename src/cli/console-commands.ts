import { InvalidArgumentError, Option, type Command } from 'commander';
import { mintToken } from '../auth/jwt-verifier.js';
import { ROLES, type Role } from '../auth/principal.js';
import { ConfigError, loadConfig, type DocstoreConfig } from '../config.js';
import { parseDuration } from './cli-arguments.js';

/** The organisation of the embedded default's examples (README, `serve`'s hints, `docstore open`). */
export const DEFAULT_ORGANIZATION = '0190a000-0000-7000-8000-000000000001';

export interface ConfiguredTokenRequest {
  sub: string;
  org: string;
  role: Role;
  buildings?: string[];
  ttlSeconds: number;
}

/** Mints a token with the configured shared secret, issuer and audience (refused without a secret). */
export async function mintConfiguredToken(config: DocstoreConfig, request: ConfiguredTokenRequest): Promise<string> {
  const { jwtConfigOf } = await import('../http/server.js');
  const { secret, jwt } = await jwtConfigOf(config);
  if (secret === undefined) {
    // Thrown from an action, a commander error would exit silently: a configuration error is printed (exit 2).
    throw new ConfigError([{ variable: 'DOCSTORE_JWT_SECRET', message: 'tokens can only be minted with a shared secret, not with DOCSTORE_JWT_PUBLIC_KEY or DOCSTORE_JWT_JWKS_URL' }]);
  }
  return mintToken(secret, {
    ...request,
    buildings: request.buildings ?? [],
    ...(jwt.issuer === undefined ? {} : { issuer: jwt.issuer }),
    ...(jwt.audience === undefined ? {} : { audience: jwt.audience }),
  });
}

/**
 * The console's sign-in link: the token rides in the URL fragment, which browsers never send, so
 * it reaches no server log; the console moves it to session storage and clears the address bar.
 */
export function consoleSignInUrl(config: DocstoreConfig, token: string): string {
  return `${config.http.publicBaseUrl}/#token=${token}`;
}

/** `docstore open`: a short-lived token for the web console, printed as a link to open. */
export function registerConsoleCommands(program: Command): void {
  program
    .command('open')
    .description('Print a link that signs the web console in with a short-lived token (shared-secret setups, e.g. the embedded default).')
    .addOption(new Option('--role <role>', 'role of the token').choices(ROLES).default('syndic'))
    .option('--org <uuid>', 'organisation id', DEFAULT_ORGANIZATION)
    .option('--sub <id>', 'user id (recorded as uploadedBy)', 'console')
    .option('--building <uuid...>', 'buildings a board_member or owner may read')
    .option('--ttl <duration>', 'lifetime: 30s, 15m, 1h (at most 12h)', (value: string) => signInLifetime(parseDuration(value)), 3600)
    .action(async (options: { role: Role; org: string; sub: string; building?: string[]; ttl: number }) => {
      const config = loadConfig();
      const token = await mintConfiguredToken(config, { sub: options.sub, org: options.org, role: options.role, buildings: options.building ?? [], ttlSeconds: options.ttl });
      process.stdout.write(`${consoleSignInUrl(config, token)}\n`);
      process.stderr.write(`docstore: open this link to sign in as ${options.role} of ${options.org}; it expires in ${Math.round(options.ttl / 60)} min. Anyone holding it can act as you: do not share it.\n`);
    });
}

/** Sign-in links are for a working session, not a standing credential. */
function signInLifetime(seconds: number): number {
  if (seconds > 12 * 3600) throw new InvalidArgumentError('at most 12h for a sign-in link');
  return seconds;
}
