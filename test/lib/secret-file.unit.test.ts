import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { jwtConfigOf } from '../../src/auth/jwt-config.js';
import { readOrCreateSecretFile } from '../../src/lib/secret-file.js';
import { loadOrCreateSigningSecret } from '../../src/storage/object-link-signer.js';

const CALLS = 64;

describe('readOrCreateSecretFile: one generated secret, however many callers race for it', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docstore-secret-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`${CALLS} concurrent calls on a fresh directory all get the same secret, created once, mode 0600, no temporary file left`, async () => {
    const path = join(dir, 'nested', 'jwt-secret');
    const results = await Promise.all(
      Array.from({ length: CALLS }, () => readOrCreateSecretFile(path, { variable: 'DOCSTORE_JWT_SECRET', generate: () => randomBytes(48).toString('base64url') })),
    );
    expect(new Set(results.map((result) => result.text)).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(results[0]?.text).toHaveLength(64);
    expect(await readFile(path, 'utf8')).toBe(results[0]?.text);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(dir, 'nested'))).toEqual(['jwt-secret']);
    const again = await readOrCreateSecretFile(path, { variable: 'DOCSTORE_JWT_SECRET', generate: () => 'never used' });
    expect(again).toEqual({ text: results[0]?.text, created: false });
  });

  it('jwtConfigOf and loadOrCreateSigningSecret, called concurrently on a fresh DATA_DIR, agree on one non-empty secret each', async () => {
    const config = loadConfig({ DATA_DIR: dir });
    const jwt = await Promise.all(Array.from({ length: CALLS }, () => jwtConfigOf(config)));
    const jwtSecrets = new Set(jwt.map((result) => Buffer.from(result.secret ?? []).toString('hex')));
    expect(jwtSecrets.size).toBe(1);
    expect(jwt.filter((result) => result.generated)).toHaveLength(1);
    const signing = await Promise.all(Array.from({ length: CALLS }, () => loadOrCreateSigningSecret(join(dir, 'signing-secret'))));
    expect(new Set(signing.map((secret) => secret.toString('hex'))).size).toBe(1);
    expect(signing[0]?.length).toBe(32);
    expect((await stat(join(dir, 'signing-secret'))).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['jwt-secret', 'signing-secret']);
  });

  it('refuses an empty or truncated secret file by the variable that replaces it, and leaves the file alone', async () => {
    await writeFile(join(dir, 'jwt-secret'), '\n', { mode: 0o600 });
    const empty = await jwtConfigOf(loadConfig({ DATA_DIR: dir })).then(() => undefined, (error: unknown) => error);
    expect(empty).toBeInstanceOf(ConfigError);
    expect((empty as ConfigError).issues).toEqual([{ variable: 'DOCSTORE_JWT_SECRET', message: expect.stringContaining(`${join(dir, 'jwt-secret')} is empty`) }]);
    expect(await readFile(join(dir, 'jwt-secret'), 'utf8')).toBe('\n');

    await writeFile(join(dir, 'signing-secret'), randomBytes(12).toString('base64'), { mode: 0o600 });
    const short = await loadOrCreateSigningSecret(join(dir, 'signing-secret')).then(() => undefined, (error: unknown) => error);
    expect(short).toBeInstanceOf(ConfigError);
    expect((short as ConfigError).issues[0]).toMatchObject({ variable: 'DOCSTORE_SIGNING_SECRET', message: expect.stringContaining('is not base64 of at least 32 bytes') });
  });
});
