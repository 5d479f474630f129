import { randomBytes, randomUUID } from 'node:crypto';
import { phasesToRun } from '../support/bench-phases.js';

export const MiB = 1024 * 1024;
/** The server children's secret: made by the orchestrator, handed to them as `BENCH_API_JWT_SECRET`. */
export const JWT_SECRET = process.env.BENCH_API_JWT_SECRET ?? `docstore-bench-jwt-secret-${randomBytes(16).toString('hex')}`;
export const ORGANIZATION_ID = randomUUID();
export const LATENCY_RUNS = positiveNumber('BENCH_API_RUNS', 201);
export const LATENCY_WARM_UP = 10;
export const LOAD_SECONDS = positiveNumber('BENCH_API_SECONDS', 10);
export const LOAD_CLIENTS = 64;
/** Rounds of the load phase: each runs the API and the durable floor, in turn (API first, then floor first…). */
export const LOAD_ROUNDS = positiveNumber('BENCH_API_LOAD_ROUNDS', 2);
/** The phases to run: `BENCH_API_ONLY=latency,load,large,resumable` (comma-separated), all by default. */
export const PHASES = phasesToRun('BENCH_API_ONLY', process.env.BENCH_API_ONLY, ['latency', 'load', 'large', 'resumable']);
/** A request that takes longer than this fails (and is counted as an error). */
export const REQUEST_TIMEOUT_MS = 60_000;

function positiveNumber(variable: string, fallback: number): number {
  const value = Number(process.env[variable] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${variable} must be a positive number, not "${process.env[variable]}"`);
  return value;
}
