import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorkDir, removeAbandonedWorkDirs } from '../../src/backup/work-dir.js';

/** A process that ran and exited: its pid names no process any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

describe('backup and restore work directories', () => {
  let parent: string;
  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'docstore-test-workdirs-'));
  });
  afterEach(async () => rm(parent, { recursive: true, force: true }));

  it('removes those of processes that are gone, keeps those of live processes, its own and anything else', async () => {
    const dead = await deadPid();
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const names = [
        `docstore-backup-${dead}-a1B2c3`,
        `docstore-restore-${dead}-x9Y8z7`,
        `docstore-backup-${live.pid}-q1W2e3`,
        `docstore-backup-${process.pid}-r4T5y6`,
        'docstore-backup-Zz9Yy8',
        `other-${dead}-dir`,
      ];
      for (const name of names) await mkdir(join(parent, name));
      await mkdir(join(parent, names[0] as string, 'nested'));
      expect((await removeAbandonedWorkDirs(parent)).sort()).toEqual([names[0], names[1]].sort());
      expect((await readdir(parent)).sort()).toEqual(names.slice(2).sort());
    } finally {
      live.kill();
    }
  });

  it('creates a private directory named after the purpose and this process', async () => {
    const dead = await deadPid();
    await mkdir(join(parent, `docstore-restore-${dead}-a1B2c3`));
    const created = await createWorkDir('restore', parent);
    expect(created.startsWith(join(parent, `docstore-restore-${process.pid}-`))).toBe(true);
    expect((await stat(created)).mode & 0o777).toBe(0o700);
    expect(await readdir(parent)).toEqual([created.slice(parent.length + 1)]);
  });
});
