import SqliteDatabase from 'better-sqlite3';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownMigrations } from '../../src/db/migrate.js';

const script = new URL('../support/migrate-child.ts', import.meta.url).pathname;
const PROCESSES = 3;
const TRIALS = 8;

/** A process that migrates the files it is sent (`test/support/migrate-child.ts`). */
class Migrator {
  readonly child: ChildProcessWithoutNullStreams;
  #output = '';
  /** What it wrote on stderr (warnings, a crash), shown when a trial times out. */
  errors = '';

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'pipe' });
    this.child.stdout.on('data', (chunk: Buffer) => (this.#output += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.errors += chunk.toString()));
  }

  /** The lines it printed so far, `ready` first. */
  lines(): string[] {
    return this.#output.split('\n').slice(0, -1);
  }
}

async function until(condition: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('SQLite migrations run by several processes at once', () => {
  let dir: string;
  let migrators: Migrator[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docstore-migrate-'));
    migrators = Array.from({ length: PROCESSES }, () => new Migrator());
    await until(() => migrators.every((migrator) => migrator.lines()[0] === 'ready'), () => `the migrating processes:\n${migrators.map((migrator) => migrator.errors).join('\n')}`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(
      migrators.map(async ({ child }) => {
        child.stdin.end();
        if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      }),
    );
    await rm(dir, { recursive: true, force: true });
  });

  it(`${PROCESSES} processes migrating one fresh file together: one applies every migration, the others find nothing to do (${TRIALS} files)`, async () => {
    for (let trial = 1; trial <= TRIALS; trial++) {
      const path = join(dir, `trial-${trial}.sqlite`);
      // Another connection holds the write lock while they are sent the file: they all wait for
      // it, and its release lets them go at the same instant (two instances on one fresh DATA_DIR).
      const holder = new SqliteDatabase(path);
      holder.pragma('journal_mode = WAL');
      holder.exec('begin immediate');
      try {
        for (const { child } of migrators) child.stdin.write(`${path}\n`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      } finally {
        holder.exec('commit');
        holder.close();
      }
      await until(() => migrators.every((migrator) => migrator.lines().length > trial), () => `trial ${trial}:\n${migrators.map((migrator) => migrator.errors).join('\n')}`);
      const outcomes = migrators.map((migrator) => migrator.lines()[trial] as string);
      expect(outcomes.filter((outcome) => !outcome.startsWith('['))).toEqual([]);
      const applied = outcomes.map((outcome) => JSON.parse(outcome) as string[]).sort((a, b) => b.length - a.length);
      expect(applied).toEqual([knownMigrations(), ...Array.from({ length: PROCESSES - 1 }, () => [])]);
    }
  }, 120_000);
});
