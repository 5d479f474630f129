import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/**
 * Compiles src/ into dist/ (incremental: only what changed), so that every test that spawns
 * `bin/docstore.js` runs the code of this checkout, never a stale build. Type errors do not stop
 * the suite here (tsc still emits; `npm test` typechecks before vitest): they are printed.
 */
export async function buildDist(): Promise<void> {
  const tsc = new URL('../../node_modules/typescript/bin/tsc', import.meta.url).pathname;
  try {
    await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, maxBuffer: 16 << 20, timeout: 300_000 });
  } catch (error) {
    const { stdout, code } = error as { stdout?: string; code?: unknown };
    // tsc exits 2 when it emitted despite type errors; anything else (not emitted, not found, killed) is fatal.
    if (code !== 2 || stdout === undefined) throw error;
    process.stderr.write(`docstore test setup: dist/ built with type errors:\n${stdout}`);
  }
}
