import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { JWT_SECRET } from './options.js';
import type { Answers, FromServer, ServerMode, ToServer } from './server-child.js';

/** A server child (`server-child.ts`) as the orchestrator drives it. */
export interface Server {
  child: ChildProcess;
  port: number;
  ask<T extends keyof Answers>(type: T): Promise<Answers[T]>;
  stop(): Promise<void>;
}

/** The children alive, killed on an interruption. */
export const children = new Set<ChildProcess>();

/**
 * Forks a server child in `mode` over `dataDir`; `BENCH_API_CPU_PROF=<dir>` profiles it there,
 * `BENCH_API_SERVER_FLAGS` adds Node flags (space-separated: `--trace-gc`, `--max-semi-space-size=…`).
 */
export async function startServer(dataDir: string, mode: ServerMode = 'api'): Promise<Server> {
  const profileDir = process.env.BENCH_API_CPU_PROF;
  // A logging server writes its lines into a file of its data directory, as to a log collector.
  const output = mode === 'logged' ? (mkdirSync(dataDir, { recursive: true }), openSync(join(dataDir, 'server.log'), 'a')) : 'inherit';
  const child = fork(new URL('./server-child.ts', import.meta.url).pathname, [dataDir, mode], {
    execArgv: [
      '--expose-gc',
      '--import',
      'tsx',
      ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
      ...(process.env.BENCH_API_SERVER_FLAGS?.split(' ').filter((flag) => flag !== '') ?? []),
    ],
    env: { ...process.env, BENCH_API_JWT_SECRET: JWT_SECRET },
    stdio: ['ignore', output, 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const next = <T extends FromServer['type']>(type: T) =>
    new Promise<Extract<FromServer, { type: T }>>((resolve, reject) => {
      const onMessage = (message: FromServer) => {
        if (message.type !== type) return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(message as Extract<FromServer, { type: T }>);
      };
      const onExit = (code: number | null, signal: string | null) => {
        child.off('message', onMessage);
        reject(new Error(`server child ${child.pid} exited (${signal ?? code}) while waiting for "${type}"`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { port } = await next('ready');
  return {
    child,
    port,
    ask: <T extends keyof Answers>(type: T) => {
      const reply = next(type);
      child.send({ type } satisfies ToServer);
      return reply as Promise<Answers[T]>;
    },
    stop: () => stopChild(child),
  };
}

/** Asks the child to close, then kills it (by pid) if it has not exited within 10 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'close' } satisfies ToServer);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
