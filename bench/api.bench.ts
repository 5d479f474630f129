/**
 * `npm run bench:api`: the documents API on the embedded default (local storage and SQLite in a
 * temporary DATA_DIR), its server in a child process listening on 127.0.0.1, driven by real HTTP
 * clients sending multipart/form-data (the pieces are in `bench/api/`):
 * - 1 MiB upload and download against the bare `LocalObjectStorage` on the same disk (the storage
 *   benchmark's adapter), alternated after warm-up: median, p99, ratio of medians. Alongside, the
 *   floor any Node HTTP server pays for the same transfer: a plain `node:http` server that drains
 *   the upload, or streams a 1 MiB file; the durable floor (uploads): a plain `node:http` server
 *   that streams the body into the bare adapter and commits one SQLite row with synchronous=FULL
 *   (`bench/api/floor-server.ts`), with the ratios API / floor and floor / bare; and the same API
 *   whose audit log records nothing (`bench/support/unrecorded-audit.ts`): the audit trail's
 *   cost, target ≤ 15 % on each median. Each server runs in a child of its own; the server CPU
 *   time per upload of each is printed beside (steadier than wall time on a shared machine);
 * - 64 concurrent clients uploading 1 MiB for `BENCH_API_SECONDS` (default 10), to the API and
 *   to the durable floor in turn, `BENCH_API_LOAD_ROUNDS` rounds (default 2, alternated): uploads
 *   per second, p50, p99, errors, and the server's peak RSS growth (the highest of the rounds);
 * - one 50 MiB upload to a fresh server: its peak RSS growth;
 * - 50 MiB through tus (5 MiB PATCHes) against the multipart POST, on local storage and on RGW
 *   (`bench/resumable-upload.bench.ts`, also `npm run bench:tus`): ratio target ≤ 1.25.
 *
 * `BENCH_API_ONLY=latency,load,large,resumable` runs only the phases named (all by default), and
 * checks only their targets. `BENCH_API_RUNS` sets the latency runs (default 201);
 * `BENCH_API_CPU_PROF=<dir>` writes a CPU profile of every server child there. Peak RSS is the
 * kernel's high-water mark (`VmHWM`, reset through `/proc/self/clear_refs`); where /proc is
 * missing, a 1 ms sampler in the server.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchLarge, type LargeResult } from './api/large-phase.js';
import { benchLatency, type LatencyRow } from './api/latency-phase.js';
import { benchLoad, type LoadResult } from './api/load-phase.js';
import { LOAD_CLIENTS, LOAD_ROUNDS, LOAD_SECONDS, MiB, PHASES } from './api/options.js';
import { printLarge, printLatency, printLoad, printMachine, printTargets, type Target } from './api/report.js';
import { children, stopChild } from './api/server-process.js';
import { benchResumableUploads, resumableUploadTable, type ResumableUploadRow } from './resumable-upload.bench.js';

async function main(): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'docstore-bench-api-'));
  const cleanUp = () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  };
  const interrupted = (signal: NodeJS.Signals) => {
    cleanUp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const loadBefore = loadavg();
  let latency: LatencyRow[] | undefined;
  const loads: LoadResult[] = [];
  const floorLoads: LoadResult[] = [];
  let large: LargeResult | undefined;
  try {
    if (PHASES.has('latency')) latency = await benchLatency(base);
    for (let round = 0; PHASES.has('load') && round < LOAD_ROUNDS; round++) {
      // API then floor, then floor then API: a drift of the machine's load hits both alike.
      for (const mode of round % 2 === 0 ? (['api', 'floor'] as const) : (['floor', 'api'] as const)) {
        (mode === 'api' ? loads : floorLoads).push(await benchLoad(join(base, `round-${round}`), LOAD_CLIENTS, LOAD_SECONDS, mode));
      }
    }
    if (PHASES.has('large')) large = await benchLarge(base, 50 * MiB);
  } finally {
    for (const child of [...children]) await stopChild(child);
    cleanUp();
  }
  const resumable: ResumableUploadRow[] | undefined = PHASES.has('resumable') ? await benchResumableUploads() : undefined;
  const targets: Target[] = [];

  printMachine(loadBefore, loadavg());
  if (latency !== undefined) targets.push(...printLatency(latency));
  if (loads.length > 0) targets.push(...printLoad(loads, floorLoads));
  if (large !== undefined) printLarge(large);
  if (resumable !== undefined) {
    console.log('\nResumable uploads: tus against the multipart POST, alternated, in this process (server and client; the client streams from disk); RGW: the S3_TEST_* endpoint, SQLite.');
    for (const line of resumableUploadTable(resumable)) console.log(line);
    targets.push(['50 MiB through tus / multipart POST ≤ 1.25 (local, RGW)', resumable.map((row) => row.ratio.toFixed(2)).join(', '), resumable.every((row) => row.ratio <= 1.25)]);
  }
  printTargets(targets);
  if (loads[0] !== undefined) {
    console.log(`\nPeak RSS: ${loads[0].peakMethod}, after a GC in the server; ${LOAD_ROUNDS} rounds (BENCH_API_LOAD_ROUNDS) of ${LOAD_SECONDS} s (BENCH_API_SECONDS) for each server, a fresh server each.`);
  }
}

await main();
