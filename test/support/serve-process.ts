import { spawn, type ChildProcess } from 'node:child_process';

/** The `docstore` command of this checkout, as `npm start` runs it. */
export const DOCSTORE_BIN = new URL('../../bin/docstore.js', import.meta.url).pathname;

/** A `docstore serve` child process. */
export interface ServeProcess {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Resolves once it printed `docstore: serving on`; rejects when it exits before or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** Resolves once its output holds `text` (log lines are written asynchronously, after the banner may be); rejects when it exits before or after `timeoutMs`. */
  printed(text: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** Starts `docstore serve` with `env` (give it free PORT and METRICS_PORT and its own DATA_DIR). */
export function startServe(env: NodeJS.ProcessEnv, options: { cwd?: string } = {}): ServeProcess {
  const child = spawn(process.execPath, [DOCSTORE_BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const printed = async (text: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!output.includes(text)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`docstore serve did not print ${JSON.stringify(text)} (exit ${child.exitCode}):\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    child,
    output: () => output,
    exited,
    ready(timeoutMs = 60_000) {
      return printed('docstore: serving on', timeoutMs);
    },
    printed,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
