import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rename, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDocstoreSources as docstore } from '../support/docstore-cli.js';
import { freePort } from '../support/free-port.js';
import { localSqliteService, type ServiceFixture } from '../support/service-fixture.js';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

describe('docstore audit public-key|checkpoint|verify and serve’s checkpoints (local + SQLite, sources through tsx)', () => {
  let fixture: ServiceFixture;
  let env: Record<string, string>;
  const organizationId = randomUUID();

  const record = async (count: number) => {
    for (let index = 0; index < count; index++) {
      await fixture.service.audit.log.record(fixture.service.db, { action: 'document.download', actor: { kind: 'user', subject: `owner-${index}`, role: 'owner' }, organizationId });
    }
    await fixture.service.audit.sealer.seal();
  };
  const checkpointSeqs = async () =>
    (await fixture.service.db.selectFrom('audit_checkpoints').select('seq').where('organization_id', '=', organizationId).orderBy('seq').execute()).map((row) => Number(row.seq));

  beforeAll(async () => {
    fixture = await localSqliteService();
    env = { DATA_DIR: fixture.config.dataDir, LOG_LEVEL: 'silent' };
  });
  afterAll(async () => fixture?.close());

  it('serve signs a checkpoint at start-up and another at shutdown', async () => {
    await record(3);
    const serveEnv = { ...env, PORT: String(await freePort()), METRICS_PORT: String(await freePort()), DOCSTORE_JWT_SECRET: 'x'.repeat(48) };
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve'], { env: { PATH: process.env.PATH ?? '', ...serveEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      await expect.poll(checkpointSeqs, { timeout: 60_000, message: output }).toEqual([3]);
      await record(2);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(await checkpointSeqs()).toEqual([3, 5]);
    expect((await stat(join(fixture.config.dataDir, 'audit', 'checkpoint-key.pem'))).mode & 0o777).toBe(0o600);
  });

  it('public-key prints the key that signed; checkpoint signs the heads; verify says the trail holds', async () => {
    const out = join(fixture.config.dataDir, 'checkpoint-public.pem');
    const written = await docstore(['audit', 'public-key', '--out', out], env);
    expect(written.code, written.stderr).toBe(0);
    expect(await readFile(out, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    await record(1);
    const signed = await docstore(['audit', 'checkpoint', '--json'], env);
    expect(signed.code, signed.stderr).toBe(0);
    expect((JSON.parse(signed.stdout) as { checkpoints: Array<{ organizationId: string; seq: number }> }).checkpoints).toContainEqual(expect.objectContaining({ organizationId, seq: 6 }));
    const verified = await docstore(['audit', 'verify', '--organization', organizationId], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`chain ${organizationId}: 6 entries, 3 checkpoint(s): ok`);
    expect(verified.stderr).toBe('');
  });

  it('checkpoints of a key set aside are reported until its public key is given', async () => {
    const keyFile = join(fixture.config.dataDir, 'audit', 'checkpoint-key.pem');
    const aside = `${keyFile}.old`;
    await rename(keyFile, aside);
    try {
      const unknown = await docstore(['audit', 'verify', '--organization', organizationId, '--json'], env);
      expect(unknown.code).toBe(3);
      expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, chains: [{ firstBroken: { seq: 3, kind: 'checkpoint_unknown_key' } }] });
      const given = await docstore(['audit', 'verify', '--organization', organizationId, '--public-key', join(fixture.config.dataDir, 'checkpoint-public.pem')], env);
      expect(given.code, given.stdout).toBe(0);
    } finally {
      await rename(aside, keyFile);
    }
  });

  it('names the first broken entry and exits 3; a --public-key that is no key exits 2', async () => {
    const second = await fixture.service.db.selectFrom('audit_entries').select('id').where('organization_id', '=', organizationId).where('chain_seq', '=', 2).executeTakeFirstOrThrow();
    await fixture.service.db.updateTable('audit_entries').set({ actor_subject: 'someone-else' }).where('id', '=', second.id).execute();
    const broken = await docstore(['audit', 'verify', '--organization', organizationId], env);
    expect(broken.code).toBe(3);
    expect(broken.stdout).toContain(`BROKEN at seq 2 (id ${Number(second.id)}): altered`);
    expect(broken.stdout).toContain('1 chain(s) broken');

    const notAKey = join(fixture.config.dataDir, 'not-a-key.pem');
    await writeFile(notAKey, 'hello\n');
    const usage = await docstore(['audit', 'verify', '--public-key', notAKey], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('audit.key_invalid');
  });
});
