import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupKeys, localRepositoryLocation, PASSPHRASE, type BackupKeys, type RepositoryLocation } from '../support/backup-fixture.js';
import { localSqliteService, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';
import { runDocstore } from '../support/docstore-cli.js';
import { DOCSTORE_BIN } from '../support/serve-process.js';
import { registerBuilding } from '../support/buildings.js';

const execute = promisify(execFile);

describe('docstore backup (the command)', () => {
  let source: ServiceFixture;
  let keys: BackupKeys;
  let location: RepositoryLocation;
  let env: NodeJS.ProcessEnv;
  let scratch: string;

  const docstore = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    runDocstore(args, { ...env, ...extraEnv }, { maxBufferBytes: 16 << 20, timeoutMs: 120_000 });

  beforeAll(async () => {
    source = await localSqliteService();
    keys = await backupKeys();
    location = await localRepositoryLocation();
    scratch = await mkdtemp(join(tmpdir(), 'docstore-backup-cli-'));
    env = { ...process.env, DATA_DIR: source.config.dataDir, DOCSTORE_JWT_SECRET: 'docstore-test-jwt-secret-0123456789abcdef', LOG_LEVEL: 'silent' };
    delete env.DOCSTORE_BACKUP_REPOSITORY;
    delete env.DOCSTORE_BACKUP_PASSPHRASE;
    const auth = { authorization: `Bearer ${await source.token('syndic')}` };
    for (const size of [10_000, 20_000]) {
      const { payload, headers } = documentUpload({ title: `CLI ${size}`, content: pdfOfSize(size) });
      await source.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${await registerBuilding(source)}/documents`, payload, headers: { ...headers, ...auth } });
    }
  });
  afterAll(async () => {
    await source?.close();
    await location?.close();
    await keys?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('keygen writes the key pair (private key 0600) and warns that losing it loses the backups; no passphrase is a usage error', async () => {
    const made = await docstore(['backup', 'keygen', '--name', 'Syndic Test', '--out-dir', scratch, '--passphrase-file', keys.files.passphrase]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/fingerprint: [0-9A-F]{40}/);
    expect(made.stdout).toContain('unreadable, forever');
    const files = await readdir(scratch);
    const privateKey = files.find((name) => name.endsWith('.key.asc')) as string;
    expect(files.filter((name) => name.endsWith('.pub.asc'))).toHaveLength(1);
    expect((await stat(join(scratch, privateKey))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(scratch, privateKey), 'utf8')).toContain('BEGIN PGP PRIVATE KEY BLOCK');
    const refused = await docstore(['backup', 'keygen', '--name', 'X', '--out-dir', scratch]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('backup.usage');
  }, 120_000);

  it('init, run (--json, status for Prometheus, --textfile), list, verify and restore; refusals with stable codes and exit codes', async () => {
    const missing = await docstore(['backup', 'run']);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('DOCSTORE_BACKUP_REPOSITORY') });
    const notThere = await docstore(['backup', 'list', '--repo', `file://${join(scratch, 'nothing')}`]);
    expect(notThere).toMatchObject({ code: 1, stderr: expect.stringContaining('backup.repository_not_found') });
    // A mistyped path is not created.
    await expect(stat(join(scratch, 'nothing'))).rejects.toMatchObject({ code: 'ENOENT' });

    expect((await docstore(['backup', 'init', location.url, '--recipient', keys.files.publicKey])).code).toBe(0);
    const again = await docstore(['backup', 'init', location.url, '--recipient', keys.files.publicKey]);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('backup.repository_exists') });

    const repoEnv = { DOCSTORE_BACKUP_REPOSITORY: location.url };
    const textfile = join(scratch, 'docstore_backup.prom');
    const ran = await docstore(['backup', 'run', '--json', '--textfile', textfile], repoEnv);
    expect(ran.code, ran.stderr).toBe(0);
    const summary = JSON.parse(ran.stdout) as { snapshotId: string; objects: number; uploaded: number; time: string };
    expect(summary).toMatchObject({ objects: 2, uploaded: 2 });
    // The time the run finished: after it started, not in the future.
    const seconds = Number(/docstore_backup_last_success_timestamp_seconds (\d+)/.exec(await readFile(textfile, 'utf8'))?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(Math.floor(Date.parse(summary.time) / 1000));
    expect(seconds).toBeLessThanOrEqual(Date.now() / 1000);
    const exposition = await source.service.metrics.exposition();
    expect(exposition).toContain(`docstore_backup_last_success_timestamp_seconds ${seconds}`);
    expect(exposition).toContain('docstore_backup_objects_total{kind="uploaded"} 2');
    expect(await readFile(textfile, 'utf8')).toContain('docstore_backup_objects_total{kind="uploaded"} 2');

    const listed = JSON.parse((await docstore(['backup', 'list', '--json'], repoEnv)).stdout) as { snapshots: Array<{ id: string }> };
    expect(listed.snapshots.map((snapshot) => snapshot.id)).toEqual([summary.snapshotId]);
    expect((await docstore(['backup', 'verify'], repoEnv)).code).toBe(0);
    const readVerify = await docstore(['backup', 'verify', '--read-data', '--identity', keys.files.privateKey, '--passphrase-file', keys.files.passphrase, '--json'], repoEnv);
    expect(readVerify.code, readVerify.stderr).toBe(0);
    expect(JSON.parse(readVerify.stdout)).toMatchObject({ snapshots: 1, read: 3, problems: [] });

    const restoreArgs = ['backup', 'restore', '--snapshot', summary.snapshotId.slice(0, 12), '--identity', keys.files.privateKey];
    const over = await docstore([...restoreArgs, '--passphrase-file', keys.files.passphrase], repoEnv);
    expect(over).toMatchObject({ code: 1, stderr: expect.stringContaining('backup.target_not_empty') });
    // Refused before it began: no progress line precedes the error.
    expect(over.stderr).not.toMatch(/^restore: /m);
    expect(over.stderr.trim().split('\n')).toHaveLength(1);
    const wrongPassphrase = await docstore(restoreArgs, { ...repoEnv, DOCSTORE_BACKUP_PASSPHRASE: 'not it' });
    expect(wrongPassphrase).toMatchObject({ code: 1, stderr: expect.stringContaining('backup.key_invalid') });
    const fresh = join(scratch, 'restored');
    const restored = await docstore([...restoreArgs, '--json'], { ...repoEnv, DATA_DIR: fresh, DOCSTORE_BACKUP_PASSPHRASE: PASSPHRASE });
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ objects: 2, documents: 2, buildings: 2, failures: [] });

    const noPolicy = await docstore(['backup', 'forget'], repoEnv);
    expect(noPolicy).toMatchObject({ code: 2, stderr: expect.stringContaining('--keep-last') });

    // A missing blob: verify reports it and exits 3.
    const blobs = join(fileURLToPath(location.url), 'data');
    const first = (await readdir(blobs))[0] as string;
    await rm(join(blobs, first), { recursive: true });
    const broken = await docstore(['backup', 'verify'], repoEnv);
    expect(broken.code).toBe(3);
    expect(broken.stdout).toContain('backup.blob_missing');
  }, 300_000);

  it('on a location without a repository, run names the commands that create one; ids given to restore must be UUIDs (exit 2)', async () => {
    const empty = join(scratch, 'empty');
    await mkdir(empty);
    for (const repository of [`file://${join(scratch, 'missing')}`, `file://${empty}`]) {
      const refused = await docstore(['backup', 'run', '--repo', repository]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`backup.repository_not_found: no backup repository at ${repository}`);
      expect(refused.stderr).toContain('`docstore backup keygen`');
      expect(refused.stderr).toContain(`\`docstore backup init ${repository} --recipient`);
      expect(refused.stderr).not.toMatch(/^backup: /m);
    }
    const ids = await docstore(['backup', 'restore', '--repo', `file://${empty}`, '--identity', keys.files.privateKey, '--document', 'doc-1', '--building', 'lot 12', '--document', randomUUID()]);
    expect(ids.code).toBe(2);
    expect(ids.stderr).toContain('--document: "doc-1" is not a UUID');
    expect(ids.stderr).toContain('--building: "lot 12" is not a UUID');
  }, 120_000);
});

describe('docstore backup run killed half-way', () => {
  let source: ServiceFixture;
  let keys: BackupKeys;
  let location: RepositoryLocation;
  let env: NodeJS.ProcessEnv;
  const count = 400;

  beforeAll(async () => {
    source = await localSqliteService();
    keys = await backupKeys();
    location = await localRepositoryLocation();
    env = { ...process.env, DATA_DIR: source.config.dataDir, DOCSTORE_BACKUP_REPOSITORY: location.url, LOG_LEVEL: 'silent' };
    for (let index = 0; index < count; index++) await source.service.storage.put(`org/building/object-${String(index).padStart(4, '0')}`, randomBytes(256 * 1024));
    await execute(process.execPath, [DOCSTORE_BIN, 'backup', 'init', location.url, '--recipient', keys.files.publicKey], { env });
  });
  afterAll(async () => {
    await source?.close();
    await location?.close();
    await keys?.close();
  });

  it('leaves no snapshot; the next run reuses what was uploaded and the repository verifies', async () => {
    const blobs = join(fileURLToPath(location.url), 'data');
    const countBlobs = async () => {
      let total = 0;
      for (const dir of await readdir(blobs).catch(() => [] as string[])) total += (await readdir(join(blobs, dir))).length;
      return total;
    };
    // The runs' work directories (they hold a database dump) go to a TMPDIR of the test's own.
    const temporary = await mkdtemp(join(tmpdir(), 'docstore-test-tmp-'));
    const workDirs = async () => (await readdir(temporary)).filter((name) => name.startsWith('docstore-backup-'));
    const child = spawn(process.execPath, [DOCSTORE_BIN, 'backup', 'run', '--concurrency', '1'], { env: { ...env, TMPDIR: temporary }, stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    while ((await countBlobs()) < 20) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the backup ended (${child.exitCode}) before it could be killed`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const uploadedBeforeKill = await countBlobs();
    expect(uploadedBeforeKill).toBeLessThan(count);
    // Killed, the run could not remove its work directory and the dump in it.
    expect(await workDirs()).toEqual([expect.stringMatching(new RegExp(`^docstore-backup-${child.pid}-`))]);
    expect(await readdir(join(temporary, (await workDirs())[0] as string))).toEqual(['database']);
    const listed = await execute(process.execPath, [DOCSTORE_BIN, 'backup', 'list', '--json'], { env });
    expect((JSON.parse(listed.stdout) as { snapshots: unknown[] }).snapshots).toEqual([]);

    const rerun = await execute(process.execPath, [DOCSTORE_BIN, 'backup', 'run', '--json'], { env: { ...env, TMPDIR: temporary }, maxBuffer: 16 << 20 });
    // The next run removed it (the killed process is gone), and its own when it ended.
    expect(await workDirs()).toEqual([]);
    await rm(temporary, { recursive: true, force: true });
    const summary = JSON.parse(rerun.stdout) as { objects: number; uploaded: number; reused: number };
    expect(summary.objects).toBe(count);
    // The database dump was uploaded first, then objects: everything uploaded before the kill is reused.
    expect(summary.reused).toBeGreaterThanOrEqual(uploadedBeforeKill - 1);
    expect(summary.uploaded + summary.reused).toBe(count);
    const verified = await execute(process.execPath, [DOCSTORE_BIN, 'backup', 'verify', '--read-data', '--json'], { env, maxBuffer: 16 << 20 });
    expect(JSON.parse(verified.stdout)).toMatchObject({ snapshots: 1, problems: [] });
    await stat(join(source.config.dataDir, 'backup', 'status.json'));
  }, 300_000);
});
