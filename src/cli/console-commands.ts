import type { Command } from 'commander';
import type { Role } from '../shared/principal.js';
import type { DocstoreConfig } from '../config.js';
import { loadCliConfig } from './cli-config.js';
import { addTokenOptions, tokenRequestOf, type TokenOptionDefaults, type TokenOptionValues } from './token-options.js';

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
  const [{ jwtConfigOf }, { mintToken }, { ConfigError }] = await Promise.all([import('../auth/jwt-config.js'), import('../auth/jwt-verifier.js'), import('../config.js')]);
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

/** Sign-in links are for a working session, not a standing credential: at most 12 hours. */
const SIGN_IN_DEFAULTS: TokenOptionDefaults = { role: 'syndic', org: DEFAULT_ORGANIZATION, sub: 'console', maxTtl: { seconds: 12 * 3600, text: '12h for a sign-in link' } };

/** `docstore open`: a short-lived token for the web console, printed as a link to open. */
export function registerConsoleCommands(program: Command): void {
  const open = program
    .command('open')
    .description('Print a link that signs the web console in with a short-lived token (shared-secret setups, e.g. the embedded default).');
  addTokenOptions(open, SIGN_IN_DEFAULTS).action(async (options: TokenOptionValues, command: Command) => {
    const request = await tokenRequestOf(command, options, SIGN_IN_DEFAULTS);
    const config = await loadCliConfig();
    const token = await mintConfiguredToken(config, request);
    process.stdout.write(`${consoleSignInUrl(config, token)}\n`);
    process.stderr.write(`docstore: open this link to sign in as ${request.role} of ${request.org}; it expires in ${Math.round(request.ttlSeconds / 60)} min. Anyone holding it can act as you: do not share it.\n`);
  });
}
