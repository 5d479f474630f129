import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LimitReached } from './extraction-limits.js';

/** What a tool wrote on stdout, decoded as UTF-8. */
export interface ToolOutput {
  stdout: string;
}

/** A tool that failed (exit status, signal or its own error message). */
export class ToolFailed extends Error {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(`${tool}: ${message}`);
    this.name = 'ToolFailed';
  }
}

/** util-linux's prlimit (Debian's essential set): the memory limit of each tool. */
const PRLIMIT = '/usr/bin/prlimit';

/**
 * Runs one extraction tool with limits: a deadline (the process is killed when it passes:
 * `LimitReached('time')`), an address-space limit through prlimit (a tool that runs out of it dies
 * or says so: `LimitReached('memory')`), a cap on its output (more: `LimitReached('characters')`,
 * the output kept so far returned by the caller's choice), one thread for tesseract.
 */
export async function runTool(command: string, args: readonly string[], limits: { deadline: number; memoryMiB: number; maxOutputBytes: number }): Promise<ToolOutput> {
  const remainingMs = limits.deadline - Date.now();
  if (remainingMs <= 0) throw new LimitReached('time', 'the time limit was reached');
  const limited = existsSync(PRLIMIT);
  const [file, argv] = limited ? [PRLIMIT, [`--as=${limits.memoryMiB * 1024 * 1024}`, '--', command, ...args]] : [command, [...args]];
  return new Promise<ToolOutput>((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_THREAD_LIMIT: '1', LC_ALL: 'C.UTF-8' } });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let stoppedBy: LimitReached | undefined;
    const timer = setTimeout(() => {
      stoppedBy = new LimitReached('time', 'the time limit was reached');
      child.kill('SIGKILL');
    }, remainingMs);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limits.maxOutputBytes) {
        stoppedBy ??= new LimitReached('characters', 'the text limit was reached');
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ToolFailed(command, error.message));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (stoppedBy !== undefined) return reject(stoppedBy);
      if (code === 0) return resolve({ stdout: Buffer.concat(chunks).toString('utf8') });
      const message = stderr.trim().split('\n').slice(-3).join(' ') || `exit ${code ?? signal}`;
      if (/bad_alloc|out of memory|cannot allocate|memory/i.test(stderr) || signal === 'SIGSEGV' || signal === 'SIGABRT') {
        return reject(new LimitReached('memory', `the memory limit was reached (${message})`));
      }
      reject(new ToolFailed(command, message));
    });
  });
}
