/**
 * `npm run bench:startup`: how long docstore takes to start, against `node -e 0` in the same run.
 * Rows, each the median of `BENCH_STARTUP_RUNS` runs (default 11; start → ready: a third of them,
 * at least 3), alternated so that load on the machine hits every row alike:
 * - `docstore --help` and `docstore token …` (HS256 secret from the environment), to exit;
 * - `npm start` → the first 200 of `/health/ready`, on the embedded default (local storage and
 *   SQLite in a temporary DATA_DIR migrated by a warm-up start; free PORT and METRICS_PORT).
 * "after" runs the build (`bin/docstore.js` → dist/, what `npm start` runs); "before" runs the same
 * commands the way docstore ran before it shipped JavaScript: its TypeScript through tsx
 * (`node --import tsx src/cli/main.ts`). `npm run bench:startup` builds dist/ first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { arch, cpus, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/free-port.js';

const root = new URL('../', import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 11);
const START_RUNS = Math.max(3, Math.round(RUNS / 3));
const ORG = '0190a000-0000-7000-8000-000000000001';
const READY_TIMEOUT_MS = 60_000;

const dataDir = mkdtempSync(join(tmpdir(), 'docstore-bench-startup-'));
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DATA_DIR: dataDir,
  DOCSTORE_JWT_SECRET: 'bench-startup-secret-of-at-least-32-characters',
  LOG_LEVEL: 'warn',
};

type Way = 'after' | 'before';
/** The `docstore` command line of each way. */
const docstore: Record<Way, string[]> = {
  after: [join(root, 'bin/docstore.js')],
  before: ['--import', 'tsx', join(root, 'src/cli/main.ts')],
};
const TOKEN_ARGS = ['token', '--sub', 'bench', '--org', ORG, '--role', 'syndic'];

/** Seconds from spawn to exit (exit 0 required). */
function timeCommand(args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr.toString()}`);
  return seconds;
}

/** Seconds from spawn to the first 200 of /health/ready; then stops the server (its whole process group). */
async function timeStartToReady(way: Way): Promise<number> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const [command, args] = way === 'after' ? ['npm', ['start', '--silent']] : [process.execPath, [...docstore.before, 'serve']];
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: root, env: { ...env, PORT: String(port), METRICS_PORT: String(metricsPort) }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then((response) => response.ok, () => false);
      if (ok) return Number(process.hrtime.bigint() - started) / 1e9;
      if (child.exitCode !== null) throw new Error(`${way}: the server exited ${child.exitCode} before it was ready: ${stderr}`);
      if (Number(process.hrtime.bigint() - started) / 1e6 > READY_TIMEOUT_MS) throw new Error(`${way}: not ready within ${READY_TIMEOUT_MS} ms: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(): Promise<void> {
  const samples = new Map<string, number[]>();
  const record = (row: string, seconds: number) => samples.set(row, [...(samples.get(row) ?? []), seconds]);
  try {
    // Warm-up: the file system cache, tsx's compile cache, and the database's migrations.
    timeCommand(['-e', '0']);
    for (const way of ['after', 'before'] as const) {
      timeCommand([...docstore[way], '--help']);
      await timeStartToReady(way);
    }
    for (let run = 0; run < RUNS; run += 1) {
      record('baseline', timeCommand(['-e', '0']));
      for (const way of ['after', 'before'] as const) {
        record(`${way} help`, timeCommand([...docstore[way], '--help']));
        record(`${way} token`, timeCommand([...docstore[way], ...TOKEN_ARGS]));
        if (run < START_RUNS) record(`${way} start`, await timeStartToReady(way));
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  const cpu = cpus();
  const baseline = median(samples.get('baseline') ?? []);
  const s = (value: number) => value.toFixed(3);
  console.log(`\nMachine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, ${platform()} ${arch()}, Node ${process.version}; load average ${spawnSync('cat', ['/proc/loadavg']).stdout?.toString().split(' ').slice(0, 3).join(' ') ?? 'unknown'}.`);
  console.log(`Medians of ${RUNS} runs (start → ready: ${START_RUNS}); "before": node --import tsx src/cli/main.ts; "after": bin/docstore.js → dist/ (npm start for the server).`);
  console.log('\n| command | before (tsx) s | after (dist) s | before / node -e 0 | after / node -e 0 | target s | met |');
  console.log('|---|---:|---:|---:|---:|---:|:---:|');
  console.log(`| \`node -e 0\` (baseline) | ${s(baseline)} | ${s(baseline)} | 1.00 | 1.00 | | |`);
  const rows: Array<[string, string, number]> = [
    ['`docstore --help`', 'help', 0.25],
    ['`docstore token …`', 'token', 0.35],
    ['`npm start` → `/health/ready` (embedded default)', 'start', 1.5],
  ];
  for (const [label, key, target] of rows) {
    const before = median(samples.get(`before ${key}`) ?? []);
    const after = median(samples.get(`after ${key}`) ?? []);
    console.log(`| ${label} | ${s(before)} | ${s(after)} | ${(before / baseline).toFixed(1)} | ${(after / baseline).toFixed(1)} | ≤ ${target} | ${after <= target ? 'yes' : 'no'} |`);
  }
}

await main();
