import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private temporary directory (0700, under `TMPDIR`) for one backup or restore, named
 * `docstore-<purpose>-<pid>-<random>`. It holds a database dump, so a run removes it when it ends;
 * a process killed before that cannot, so each new run first removes the work directories of
 * processes that no longer exist (those of runs still going are left alone).
 */
export async function createWorkDir(purpose: 'backup' | 'restore', parent = tmpdir()): Promise<string> {
  await removeAbandonedWorkDirs(parent);
  return mkdtemp(join(parent, `docstore-${purpose}-${process.pid}-`));
}

/**
 * Removes the `docstore-backup-<pid>-*` and `docstore-restore-<pid>-*` directories whose process is
 * gone (a directory this user cannot remove is left). Returns the names removed.
 */
export async function removeAbandonedWorkDirs(parent = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(parent)) {
    const match = /^docstore-(?:backup|restore)-(\d+)-[^/]+$/.exec(name);
    if (match === null || processExists(Number(match[1]))) continue;
    // Best effort: a directory this user may not remove (another user's, in a shared TMPDIR) stays.
    const gone = await rm(join(parent, name), { recursive: true, force: true }).then(
      () => true,
      () => false,
    );
    if (gone) removed.push(name);
  }
  return removed;
}

function processExists(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
