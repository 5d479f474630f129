import { z } from 'zod';
import type { JwtSettings } from '../auth/jwt-config.js';
import type { ConfigIssue } from '../config-error.js';
import { httpUrl } from './env-values.js';

/** How bearer tokens are verified: a shared secret, a public key or a JWKS URL, and the claims to require. */
export const jwtVariables = {
  DOCSTORE_JWT_SECRET: z
    .string()
    .refine((value) => Buffer.byteLength(value) >= 32, 'must be at least 32 bytes')
    .optional(),
  DOCSTORE_JWT_PUBLIC_KEY: z.string().refine((value) => value.includes('-----BEGIN PUBLIC KEY-----'), 'must be a PEM public key (SPKI)').optional(),
  DOCSTORE_JWT_ALGORITHM: z.enum(['RS256', 'ES256'], { error: 'must be RS256 or ES256' }).default('RS256'),
  DOCSTORE_JWT_JWKS_URL: httpUrl.optional(),
  DOCSTORE_JWT_ISSUER: z.string().min(1).optional(),
  DOCSTORE_JWT_AUDIENCE: z.string().min(1).optional(),
};

const jwtSchema = z.object(jwtVariables);

/** The JWT variables, validated. */
export type JwtVariables = z.output<typeof jwtSchema>;

/** A JWKS URL wins over a public key, which wins over a shared secret (generated when absent). */
export function jwtSettingsOf(e: JwtVariables): JwtSettings {
  const claims = {
    ...(e.DOCSTORE_JWT_ISSUER === undefined ? {} : { issuer: e.DOCSTORE_JWT_ISSUER }),
    ...(e.DOCSTORE_JWT_AUDIENCE === undefined ? {} : { audience: e.DOCSTORE_JWT_AUDIENCE }),
  };
  if (e.DOCSTORE_JWT_JWKS_URL !== undefined) return { kind: 'jwks', url: e.DOCSTORE_JWT_JWKS_URL, ...claims };
  if (e.DOCSTORE_JWT_PUBLIC_KEY !== undefined) return { kind: 'public-key', pem: e.DOCSTORE_JWT_PUBLIC_KEY, algorithm: e.DOCSTORE_JWT_ALGORITHM, ...claims };
  return { kind: 'secret', ...(e.DOCSTORE_JWT_SECRET === undefined ? {} : { secret: Buffer.from(e.DOCSTORE_JWT_SECRET, 'utf8') }), ...claims };
}

/** JWT settings tolerable in development and refused in production. */
export function jwtProductionIssues(e: JwtVariables): ConfigIssue[] {
  if (e.DOCSTORE_JWT_SECRET !== undefined && Buffer.byteLength(e.DOCSTORE_JWT_SECRET) < 32) {
    return [{ variable: 'DOCSTORE_JWT_SECRET', message: 'is shorter than 32 bytes (NODE_ENV=production)' }];
  }
  return [];
}
