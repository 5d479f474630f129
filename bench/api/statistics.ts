import { LATENCY_WARM_UP } from './options.js';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export type Step = (iteration: number) => Promise<void>;

/** Runs the steps in turn, rotating their order each run (after warm-up), so that drift hits all alike. */
export async function compare(runs: number, steps: Step[]): Promise<number[][]> {
  const samples = steps.map((): number[] => []);
  for (let i = -LATENCY_WARM_UP; i < runs; i++) {
    const shift = ((i % steps.length) + steps.length) % steps.length;
    for (let k = 0; k < steps.length; k++) {
      const index = (k + shift) % steps.length;
      const started = performance.now();
      await (steps[index] as Step)(i);
      if (i >= 0) (samples[index] as number[]).push(performance.now() - started);
    }
  }
  return samples;
}
