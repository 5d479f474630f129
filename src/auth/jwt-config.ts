import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readOrCreateSecretFile } from '../lib/secret-file.js';
import type { JwtConfig } from './jwt-verifier.js';

/**
 * How bearer tokens are verified (`DOCSTORE_JWT_*`): a shared HS256 secret, a public key or a JWKS
 * URL, with the issuer and audience to require. A `secret` without value is generated under the
 * data directory.
 */
export type JwtSettings =
  | { kind: 'secret'; secret?: Uint8Array; issuer?: string; audience?: string }
  | { kind: 'public-key'; pem: string; algorithm: 'RS256' | 'ES256'; issuer?: string; audience?: string }
  | { kind: 'jwks'; url: string; issuer?: string; audience?: string };

/** The JWT verification settings; without any, a secret generated once under the data directory (0600). */
export async function jwtConfigOf(config: { jwt: JwtSettings; dataDir: string }): Promise<{ jwt: JwtConfig; secret?: Uint8Array; generated: boolean }> {
  const claims = {
    ...(config.jwt.issuer === undefined ? {} : { issuer: config.jwt.issuer }),
    ...(config.jwt.audience === undefined ? {} : { audience: config.jwt.audience }),
  };
  if (config.jwt.kind === 'jwks') return { jwt: { key: { kind: 'jwks', url: config.jwt.url }, ...claims }, generated: false };
  if (config.jwt.kind === 'public-key') {
    return { jwt: { key: { kind: 'public-key', pem: config.jwt.pem, algorithm: config.jwt.algorithm }, ...claims }, generated: false };
  }
  if (config.jwt.secret !== undefined) return { jwt: { key: { kind: 'secret', secret: config.jwt.secret }, ...claims }, secret: config.jwt.secret, generated: false };
  const { text, created } = await readOrCreateSecretFile(join(config.dataDir, 'jwt-secret'), {
    variable: 'DOCSTORE_JWT_SECRET',
    generate: () => randomBytes(48).toString('base64url'),
  });
  const secret = Buffer.from(text, 'utf8');
  return { jwt: { key: { kind: 'secret', secret }, ...claims }, secret, generated: created };
}
