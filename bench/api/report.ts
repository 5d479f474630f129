import { cpus, arch, platform, totalmem } from 'node:os';
import type { LargeResult } from './large-phase.js';
import type { LatencyRow } from './latency-phase.js';
import { combined, type LoadResult } from './load-phase.js';
import { LATENCY_RUNS, LOAD_CLIENTS, MiB } from './options.js';
import { median, percentile } from './statistics.js';

/** A target of issue 22: what it asks, what was measured, met or not. */
export type Target = [target: string, measured: string, met: boolean];

const ms = (value: number) => value.toFixed(2);
const mib = (bytes: number) => (bytes / MiB).toFixed(1);
const ratio = (value: number) => value.toFixed(2);

export function printMachine(loadBefore: number[], loadAfter: number[]): void {
  const cpu = cpus();
  console.log(
    `\nMachine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, ${platform()} ${arch()}, Node ${process.version}.`,
  );
  const loads = (averages: number[]) => averages.map((average) => average.toFixed(2)).join(', ');
  console.log(`Load average (1, 5, 15 min): ${loads(loadBefore)} at the start, ${loads(loadAfter)} at the end.`);
  console.log('Embedded default (local storage + SQLite, temporary DATA_DIR); server in a child process on 127.0.0.1; clients: node:http, keep-alive, multipart/form-data.');
}

/** The latency tables; returns their targets. */
export function printLatency(latency: LatencyRow[]): Target[] {
  console.log(
    `\n| 1 MiB, ${LATENCY_RUNS} runs each | bare adapter median ms | bare adapter p99 ms | plain HTTP median ms | plain HTTP p99 ms | API median ms | API p99 ms | ratio API / bare (medians) |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of latency) {
    const label = row.operation === 'upload' ? 'upload (POST vs `put`)' : 'download (GET /content vs `get` + drain)';
    const cells = [row.baseline, row.plain, row.api].flatMap((samples) => [ms(median(samples)), ms(percentile(samples, 99))]);
    console.log(`| ${label} | ${cells.join(' | ')} | ${ratio(median(row.api) / median(row.baseline))} |`);
  }
  console.log('\nPlain HTTP: the same request to a bare `node:http` server in a child of its own (drains the upload; streams a 1 MiB file), the transport floor.');

  const upload = latency.find((row) => row.operation === 'upload') as LatencyRow;
  if (upload.floor !== undefined) {
    const [bare, floor, api] = [median(upload.baseline), median(upload.floor), median(upload.api)];
    console.log(`\n| 1 MiB upload, ${LATENCY_RUNS} runs each | bare adapter median ms | durable floor median ms | durable floor p99 ms | API median ms | API / bare | floor / bare | API / floor |`);
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    console.log(`| upload | ${ms(bare)} | ${ms(floor)} | ${ms(percentile(upload.floor, 99))} | ${ms(api)} | ${ratio(api / bare)} | ${ratio(floor / bare)} | ${ratio(api / floor)} |`);
    if (upload.serverCpu !== undefined) {
      const cpu = upload.serverCpu;
      console.log(`\n| server CPU per 1 MiB upload (user + system, ms) | plain HTTP | durable floor | API without audit | API | API / floor |`);
      console.log('|---|---:|---:|---:|---:|---:|');
      console.log(`| upload | ${ms(cpu.plain)} | ${ms(cpu.floor)} | ${ms(cpu.unaudited)} | ${ms(cpu.api)} | ${ratio(cpu.api / cpu.floor)} |`);
    }
    console.log(
      '\nDurable floor: a plain `node:http` server (its own child) that streams the body into the bare adapter (SHA-256, fsyncs, create-only) and commits one row in SQLite (WAL, synchronous=FULL): what any durable, hashed, recorded upload pays here. Server CPU: each child\'s `process.cpuUsage()` (all its threads) over the upload runs, warm-up included, divided by them.',
    );
  }

  console.log(`\n| 1 MiB, ${LATENCY_RUNS} runs each | API without audit median ms | p99 ms | API with audit median ms | p99 ms | audit trail cost (medians) |`);
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const row of latency) {
    const cells = [row.unaudited, row.api].flatMap((samples) => [ms(median(samples)), ms(percentile(samples, 99))]);
    console.log(`| ${row.operation} | ${cells.join(' | ')} | ${percent(auditCost(row))} |`);
  }
  console.log('\nWithout audit: a second server child whose audit log records nothing (bench/support/unrecorded-audit.ts), run in turn with the others.');
  const [uploadRatio = Number.NaN, downloadRatio = Number.NaN] = latency.map((row) => median(row.api) / median(row.baseline));
  const costs = latency.map(auditCost);
  // Issue 22's targets, with the audit trail and versions in.
  return [
    ['1 MiB upload p50 ≤ 9 ms', `${ms(median(upload.api))} ms`, median(upload.api) <= 9],
    ['upload ratio API / bare ≤ 1.6', ratio(uploadRatio), uploadRatio <= 1.6],
    ['download ratio API / bare ≤ 1.5', ratio(downloadRatio), downloadRatio <= 1.5],
    ['audit trail cost ≤ 15 % (upload, download medians)', costs.map(percent).join(', '), costs.every((cost) => cost <= 0.15)],
  ];
}

/** The load table: each round of the API and of the durable floor, then each taken together; returns the API's targets. */
export function printLoad(loads: readonly LoadResult[], floors: readonly LoadResult[]): Target[] {
  console.log(`\n| ${LOAD_CLIENTS} clients uploading 1 MiB | seconds | uploads | uploads/s | p50 ms | p99 ms | errors | server RSS before (MiB) | server peak RSS growth (MiB) |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const rate = (result: LoadResult) => result.uploads / result.seconds;
  const row = (label: string, result: LoadResult) =>
    console.log(
      `| ${label} | ${result.seconds.toFixed(2)} | ${result.uploads} | ${rate(result).toFixed(1)} | ${ms(median(result.latencies))} | ${ms(percentile(result.latencies, 99))} | ${result.errors} | ${mib(result.rssBeforeBytes)} | ${mib(result.peakGrowthBytes)} |`,
    );
  loads.forEach((result, index) => row(`API, local + SQLite, round ${index + 1}`, result));
  floors.forEach((result, index) => row(`durable floor, round ${index + 1}`, result));
  const load = combined(loads);
  row('**API, all rounds**', load);
  if (floors.length > 0) {
    const floor = combined(floors);
    row('**durable floor, all rounds**', floor);
    console.log(
      `\nAPI / durable floor: ${ratio(rate(load) / rate(floor))} of its uploads/s, ${ratio(median(load.latencies) / median(floor.latencies))}× its p50, ${ratio(load.peakGrowthBytes / floor.peakGrowthBytes)}× its peak RSS growth.`,
    );
    if (floor.firstError !== undefined) console.log(`\nFirst load error (durable floor): ${floor.firstError}`);
  }
  if (load.firstError !== undefined) console.log(`\nFirst load error (API): ${load.firstError}`);
  return [
    [`≥ 180 uploads/s with ${LOAD_CLIENTS} clients`, rate(load).toFixed(1), rate(load) >= 180],
    [`RSS growth ≤ 64 MiB under the ${LOAD_CLIENTS}-client load`, `${mib(load.peakGrowthBytes)} MiB`, load.peakGrowthBytes <= 64 * MiB],
  ];
}

export function printLarge(large: LargeResult): void {
  console.log('\n| single upload, fresh server | size | time ms | MiB/s | server RSS before (MiB) | server peak RSS growth (MiB) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(`| local + SQLite | 50 MiB | ${large.milliseconds.toFixed(0)} | ${(50 / (large.milliseconds / 1000)).toFixed(0)} | ${mib(large.rssBeforeBytes)} | ${mib(large.peakGrowthBytes)} |`);
}

export function printTargets(targets: Target[]): void {
  console.log('\n| target | measured | met |');
  console.log('|---|---:|:---:|');
  for (const [target, measured, met] of targets) console.log(`| ${target} | ${measured} | ${met ? 'yes' : 'no'} |`);
}

/** What recording costs a request: (median with audit − median without) / median without. */
function auditCost(row: LatencyRow): number {
  return median(row.api) / median(row.unaudited) - 1;
}

function percent(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)} %`;
}
