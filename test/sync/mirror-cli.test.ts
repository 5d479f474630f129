import { randomUUID } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import { clientFor, testBucket } from '../support/s3-target.js';
import { runDocstore } from '../support/docstore-cli.js';

/** Every path under `root` with its type, size and modification time (a file created then removed still changes its directory's). */
async function snapshotTree(root: string): Promise<string[]> {
  const lines: string[] = [];
  const visit = async (path: string): Promise<void> => {
    const stats = await lstat(path);
    lines.push(`${path} ${stats.isDirectory() ? 'dir' : stats.size} ${stats.mtimeMs}`);
    if (stats.isDirectory()) for (const name of (await readdir(path)).sort()) await visit(join(path, name));
  };
  await visit(root);
  return lines;
}

describe('docstore mirror and verify on the command line', () => {
  let base: string;
  let env: NodeJS.ProcessEnv;
  let source: string;
  let bucket: string;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'docstore-mirror-cli-'));
    source = join(base, 'source');
    const storage = await LocalObjectStorage.open({ root: source });
    for (let i = 0; i < 5; i++) await storage.put(`org/doc-${i}`, `content ${i}`);
    const target = inject('s3');
    const client = clientFor(target);
    bucket = await testBucket(target, client);
    client.destroy();
    env = {
      ...process.env,
      DATA_DIR: join(base, 'data'),
      DOCSTORE_REMOTE_TEST_ENDPOINT: target.endpoint,
      DOCSTORE_REMOTE_TEST_REGION: target.region,
      DOCSTORE_REMOTE_TEST_ACCESS_KEY: target.accessKeyId,
      DOCSTORE_REMOTE_TEST_SECRET_KEY: target.secretAccessKey,
      DOCSTORE_REMOTE_TEST_PATH_STYLE: String(target.forcePathStyle),
    };
  });
  afterAll(async () => rm(base, { recursive: true, force: true }));

  it('plans, copies, verifies (exit 0), then reports a difference (exit 3)', async () => {
    // A prefix of its own: the shared test server's bucket outlives the run.
    const destination = `s3://test@${bucket}/copy-${randomUUID()}`;
    const plan = await runDocstore(['mirror', `file://${source}`, destination, '--dry-run'], env);
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain('copy org/doc-0 (missing)');
    expect(plan.stdout).toContain('would copy 5');
    const copied = await runDocstore(['mirror', `file://${source}`, destination, '--json'], env);
    expect(copied.code).toBe(0);
    expect(JSON.parse(copied.stdout)).toMatchObject({ copied: 5, failed: 0, destination });
    expect(copied.stdout + copied.stderr).not.toContain(env.DOCSTORE_REMOTE_TEST_SECRET_KEY as string);
    expect((await runDocstore(['verify', `file://${source}`, destination, '--download'], env)).code).toBe(0);
    const storage = await LocalObjectStorage.open({ root: source });
    await storage.put('org/new', 'not yet copied');
    const check = await runDocstore(['verify', `file://${source}`, destination], env);
    expect(check.code).toBe(3);
    expect(check.stdout).toContain('missing   org/new');
  }, 60_000);

  it('usage and configuration errors exit 2, naming what is wrong', async () => {
    const unknown = await runDocstore(['mirror', 'ftp://x', `file://${source}`], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('a location is "current", file:///dir or s3://NAME@bucket/prefix');
    const noRemote = await runDocstore(['mirror', `file://${source}`, `s3://nowhere@${bucket}`], env);
    expect(noRemote.code).toBe(2);
    expect(noRemote.stderr).toContain('DOCSTORE_REMOTE_NOWHERE_ACCESS_KEY');
    expect((await runDocstore(['mirror', `file://${source}`, `file://${base}/x`, '--bwlimit', 'fast'], env)).code).toBe(2);
    expect((await runDocstore(['mirror', `file://${source}`], env)).code).toBe(2);
    expect((await runDocstore(['mirror', `file://${source}`, `file://${base}/y`, '--concurrency', '0'], env)).code).toBe(2);
    const typo = await runDocstore(['mirror', `file://${base}/no-such-dir`, `file://${base}/z`, '--delete', '--max-delete', '100'], env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('does not exist');
  }, 60_000);

  it('a dry run, and verify, change nothing anywhere: no destination directory, temporary folder or secret, nothing in TMPDIR', async () => {
    const parent = join(base, 'dry');
    const temporary = join(base, 'dry-tmp');
    await mkdir(parent);
    await mkdir(temporary);
    // The child's own TMPDIR; tsx's compile cache (the runner's, not docstore's) is off so that only docstore's writes count.
    const dryEnv = { ...env, TMPDIR: temporary, TSX_DISABLE_CACHE: '1', DATA_DIR: join(parent, 'data') };
    const before = [...(await snapshotTree(parent)), ...(await snapshotTree(temporary)), ...(await snapshotTree(source))];
    const toDirectory = await runDocstore(['mirror', `file://${source}`, `file://${join(parent, 'copy', 'objects')}`, '--dry-run'], dryEnv);
    expect(toDirectory.code, toDirectory.stderr).toBe(0);
    expect(toDirectory.stdout).toMatch(/would copy [1-9]/);
    // `current` on the embedded default: the data directory, its objects folder and signing secret stay uncreated.
    const toCurrent = await runDocstore(['mirror', `file://${source}`, 'current', '--dry-run', '--json'], dryEnv);
    expect(toCurrent.code, toCurrent.stderr).toBe(0);
    const plan = JSON.parse(toCurrent.stdout) as { dryRun: boolean; copied: number; failed: number };
    expect(plan).toMatchObject({ dryRun: true, failed: 0 });
    expect(plan.copied).toBeGreaterThan(0);
    for (const destination of [`file://${join(parent, 'copy', 'objects')}`, 'current']) {
      const verified = await runDocstore(['verify', `file://${source}`, destination], dryEnv);
      expect(verified.code, verified.stderr).toBe(3);
      expect(verified.stdout).toContain('missing   org/doc-0');
    }
    const after = [...(await snapshotTree(parent)), ...(await snapshotTree(temporary)), ...(await snapshotTree(source))];
    expect(after).toEqual(before);
  }, 60_000);

  it('refuses to mirror or verify a location against itself, however it is spelled (exit 2), creating nothing', async () => {
    const alias = join(base, 'alias');
    await symlink(source, alias);
    const dataDir = join(base, 'same-data');
    const sameEnv = {
      ...env,
      DATA_DIR: dataDir,
      DOCSTORE_REMOTE_OTHER_ENDPOINT: `${env.DOCSTORE_REMOTE_TEST_ENDPOINT as string}/`,
      DOCSTORE_REMOTE_OTHER_REGION: env.DOCSTORE_REMOTE_TEST_REGION,
      DOCSTORE_REMOTE_OTHER_ACCESS_KEY: env.DOCSTORE_REMOTE_TEST_ACCESS_KEY,
      DOCSTORE_REMOTE_OTHER_SECRET_KEY: env.DOCSTORE_REMOTE_TEST_SECRET_KEY,
      DOCSTORE_REMOTE_OTHER_PATH_STYLE: env.DOCSTORE_REMOTE_TEST_PATH_STYLE,
    };
    const pairs = [
      ['current', 'current'],
      ['current', `file://${join(dataDir, 'objects')}/`],
      [`file://${source}`, `file://${source}/`],
      [`file://${alias}`, `file://${source}`],
      [`s3://test@${bucket}/same`, `s3://other@${bucket}/same/`],
    ];
    for (const [from, to] of pairs) {
      for (const command of ['mirror', 'verify']) {
        const refused = await runDocstore([command, from as string, to as string], sameEnv);
        expect(refused.code, `${command} ${from} ${to}: ${refused.stderr}`).toBe(2);
        expect(refused.stderr).toContain('sync.usage');
        expect(refused.stderr).toContain('are the same location');
      }
    }
    const nested = await runDocstore(['mirror', `file://${source}`, `file://${join(alias, 'inside')}`], sameEnv);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toContain('one lies inside the other');
    await expect(lstat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(lstat(join(source, 'inside'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 90_000);

  it('refuses deletions above --max-delete (exit 1), deleting nothing', async () => {
    const destination = join(base, 'with-extras');
    const storage = await LocalObjectStorage.open({ root: destination });
    await storage.put('extra', 'x');
    const refused = await runDocstore(['mirror', `file://${source}`, `file://${destination}`, '--delete'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('sync.max_delete_exceeded');
    expect(await storage.exists('extra')).toBe(true);
    expect((await runDocstore(['mirror', `file://${source}`, `file://${destination}`, '--delete', '--max-delete', '1'], env)).code).toBe(0);
    expect(await storage.exists('extra')).toBe(false);
  }, 60_000);
});
