import { SignJWT, createRemoteJWKSet, errors, importSPKI, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { AuthError } from './auth-errors.js';
import { ROLES, type Principal } from '../shared/principal.js';
import { BoundedMap } from '../lib/bounded-map.js';

export type JwtKeyConfig =
  | { kind: 'secret'; secret: Uint8Array }
  | { kind: 'public-key'; pem: string; algorithm: 'RS256' | 'ES256' }
  | { kind: 'jwks'; url: string };

export interface JwtConfig {
  key: JwtKeyConfig;
  issuer?: string;
  audience?: string;
}

/** The claims a token must carry to be accepted (`docstore token` checks its options against them too). */
export const tokenClaimsSchema = z.object({
  sub: z.string().min(1).max(255),
  org: z.string().uuid(),
  role: z.enum(ROLES),
  buildings: z.array(z.string().uuid()).max(10_000).default([]),
});

/** How many verified tokens are kept (the least recently verified dropped first). */
const VERIFIED_TOKENS_KEPT = 1000;
/** Longer tokens are verified every time: a token may name thousands of buildings. */
const CACHEABLE_TOKEN_CHARACTERS = 4096;

/**
 * Verifies bearer tokens: HS256 with a shared secret, RS256/ES256 with a public key, or any key of
 * a JWKS URL; issuer and audience when configured. Any failure is `auth.invalid_token` (401),
 * with the reason in the message but never the token. With a secret or a public key (fixed for
 * the process's life), a token once verified is remembered until its `exp`: a client's next
 * requests with it skip the signature check (a JWKS key may be withdrawn: those are checked
 * every time).
 */
export class JwtVerifier {
  /** Verified tokens, most recently verified last, with their expiry (seconds since the epoch). */
  readonly #verified = new BoundedMap<string, { principal: Principal; expiresAtSeconds: number }>(VERIFIED_TOKENS_KEPT);

  private constructor(
    private readonly key: Uint8Array | CryptoKey | JWTVerifyGetKey,
    private readonly algorithms: string[],
    private readonly config: JwtConfig,
    private readonly now: () => Date,
  ) {}

  /** `now`: the clock tokens are checked against (tests). */
  static async create(config: JwtConfig, options: { now?: () => Date } = {}): Promise<JwtVerifier> {
    const now = options.now ?? (() => new Date());
    switch (config.key.kind) {
      case 'secret':
        // Imported once as a CryptoKey: jose 6 turns a raw secret or a secret KeyObject into one
        // again on every verification (crypto.subtle.importKey per request).
        return new JwtVerifier(await crypto.subtle.importKey('raw', new Uint8Array(config.key.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']), ['HS256'], config, now);
      case 'public-key':
        return new JwtVerifier(await importSPKI(config.key.pem, config.key.algorithm), [config.key.algorithm], config, now);
      case 'jwks':
        return new JwtVerifier(createRemoteJWKSet(new URL(config.key.url)), ['RS256', 'ES256'], config, now);
    }
  }

  async verify(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined || authorization === '') {
      throw AuthError.missingToken();
    }
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(authorization);
    if (match === null) throw AuthError.invalidToken('The Authorization header is not a Bearer JWT');
    const token = match[1] as string;
    const remembered = this.#verified.get(token);
    if (remembered !== undefined) {
      if (this.now().getTime() / 1000 < remembered.expiresAtSeconds) return { ...remembered.principal, buildingIds: [...remembered.principal.buildingIds] };
      // Expired since: verified again below, which refuses it.
      this.#verified.delete(token);
    }
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        // A token without an expiry would never expire.
        requiredClaims: ['exp', 'sub'],
        ...(this.config.issuer === undefined ? {} : { issuer: this.config.issuer }),
        ...(this.config.audience === undefined ? {} : { audience: this.config.audience }),
        currentDate: this.now(),
      };
      ({ payload } = await jwtVerify(token, this.key as Uint8Array, options));
    } catch (error) {
      const reason = error instanceof errors.JWTExpired ? 'the token has expired' : error instanceof errors.JOSEError ? error.code : 'unreadable token';
      throw AuthError.invalidToken(`Invalid token: ${reason}`, { reason, cause: error });
    }
    const claims = tokenClaimsSchema.safeParse(payload);
    if (!claims.success) {
      throw AuthError.invalidToken(`Invalid token claims: ${claims.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
    }
    const principal: Principal = { userId: claims.data.sub, organizationId: claims.data.org, role: claims.data.role, buildingIds: claims.data.buildings };
    if (this.config.key.kind !== 'jwks' && token.length <= CACHEABLE_TOKEN_CHARACTERS && typeof payload.exp === 'number') {
      this.#verified.set(token, { principal: { ...principal, buildingIds: [...principal.buildingIds] }, expiresAtSeconds: payload.exp });
    }
    return principal;
  }
}

export interface TokenRequest {
  sub: string;
  org: string;
  role: (typeof ROLES)[number];
  buildings?: string[];
  /** Lifetime in seconds. */
  ttlSeconds: number;
  issuer?: string;
  audience?: string;
}

/** Mints an HS256 token (development and scripts: `docstore token`). */
export async function mintToken(secret: Uint8Array, request: TokenRequest): Promise<string> {
  let jwt = new SignJWT({ org: request.org, role: request.role, buildings: request.buildings ?? [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + request.ttlSeconds);
  if (request.issuer !== undefined) jwt = jwt.setIssuer(request.issuer);
  if (request.audience !== undefined) jwt = jwt.setAudience(request.audience);
  return jwt.sign(secret);
}
