import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwtVerifier, mintToken } from '../../src/auth/jwt-verifier.js';
import { isAuthError } from '../../src/auth/auth-errors.js';

const ORG = '0190a000-0000-7000-8000-00000000000a';
const BUILDING = '0190a000-0000-7000-8000-0000000000b1';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (isAuthError(error) ? error.code : String(error)),
  );
}

describe('JwtVerifier', () => {
  it('HS256: verifies claims, issuer and audience', async () => {
    const secret = Buffer.from('a-shared-secret-of-at-least-32-bytes!!');
    const verifier = await JwtVerifier.create({ key: { kind: 'secret', secret }, issuer: 'koprogo', audience: 'docstore' });
    const token = await mintToken(secret, { sub: 'u1', org: ORG, role: 'owner', buildings: [BUILDING], ttlSeconds: 60, issuer: 'koprogo', audience: 'docstore' });
    expect(await verifier.verify(`Bearer ${token}`)).toEqual({ userId: 'u1', organizationId: ORG, role: 'owner', buildingIds: [BUILDING] });
    const otherAudience = await mintToken(secret, { sub: 'u1', org: ORG, role: 'owner', ttlSeconds: 60, issuer: 'koprogo', audience: 'elsewhere' });
    expect(await codeOf(verifier.verify(`Bearer ${otherAudience}`))).toBe('auth.invalid_token');
    const noIssuer = await mintToken(secret, { sub: 'u1', org: ORG, role: 'owner', ttlSeconds: 60, audience: 'docstore' });
    expect(await codeOf(verifier.verify(`Bearer ${noIssuer}`))).toBe('auth.invalid_token');
    const neverExpires = await new SignJWT({ org: ORG, role: 'owner' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setIssuer('koprogo').setAudience('docstore').sign(secret);
    expect(await codeOf(verifier.verify(`Bearer ${neverExpires}`))).toBe('auth.invalid_token');
    const otherSecret = await mintToken(Buffer.from('another-secret-of-at-least-32-bytes!!!'), { sub: 'u1', org: ORG, role: 'owner', ttlSeconds: 60, issuer: 'koprogo', audience: 'docstore' });
    expect(await codeOf(verifier.verify(`Bearer ${otherSecret}`))).toBe('auth.invalid_token');
  });

  it('a verified token is remembered until its expiry only: the same principal again, refused once expired, a copy each time', async () => {
    const secret = Buffer.from('a-shared-secret-of-at-least-32-bytes!!');
    let now = new Date();
    const verifier = await JwtVerifier.create({ key: { kind: 'secret', secret } }, { now: () => now });
    const token = await mintToken(secret, { sub: 'u1', org: ORG, role: 'owner', buildings: [BUILDING], ttlSeconds: 60 });
    const first = await verifier.verify(`Bearer ${token}`);
    (first.buildingIds as string[]).push('changed by the caller');
    expect(await verifier.verify(`Bearer ${token}`)).toEqual({ userId: 'u1', organizationId: ORG, role: 'owner', buildingIds: [BUILDING] });
    // A token that differs in its signature only is verified on its own, and refused.
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(43)}`;
    expect(await codeOf(verifier.verify(`Bearer ${forged}`))).toBe('auth.invalid_token');
    now = new Date(now.getTime() + 61_000);
    expect(await codeOf(verifier.verify(`Bearer ${token}`))).toBe('auth.invalid_token');
  });

  for (const algorithm of ['RS256', 'ES256'] as const) {
    it(`${algorithm} with a PEM public key; an HS256 token signed with that key's text is refused`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(algorithm);
      const pem = await exportSPKI(publicKey);
      const verifier = await JwtVerifier.create({ key: { kind: 'public-key', pem, algorithm } });
      const token = await new SignJWT({ org: ORG, role: 'syndic' }).setProtectedHeader({ alg: algorithm }).setSubject('u2').setExpirationTime('5m').sign(privateKey);
      expect((await verifier.verify(`Bearer ${token}`)).role).toBe('syndic');
      const confused = await new SignJWT({ org: ORG, role: 'superadmin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('5m').sign(Buffer.from(pem));
      expect(await codeOf(verifier.verify(`Bearer ${confused}`))).toBe('auth.invalid_token');
    });
  }

  describe('JWKS URL', () => {
    let server: Server;
    let url: string;
    let privateKey: CryptoKey;
    beforeAll(async () => {
      const pair = await generateKeyPair('RS256');
      privateKey = pair.privateKey as CryptoKey;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
      server = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    });
    afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

    it('verifies tokens with the keys it serves, refuses others', async () => {
      const verifier = await JwtVerifier.create({ key: { kind: 'jwks', url } });
      const token = await new SignJWT({ org: ORG, role: 'accountant' }).setProtectedHeader({ alg: 'RS256', kid: 'key-1' }).setSubject('u3').setExpirationTime('5m').sign(privateKey);
      expect((await verifier.verify(`Bearer ${token}`)).role).toBe('accountant');
      const stranger = (await generateKeyPair('RS256')).privateKey;
      const forged = await new SignJWT({ org: ORG, role: 'accountant' }).setProtectedHeader({ alg: 'RS256', kid: 'key-1' }).setSubject('u3').setExpirationTime('5m').sign(stranger);
      expect(await codeOf(verifier.verify(`Bearer ${forged}`))).toBe('auth.invalid_token');
    });
  });
});
