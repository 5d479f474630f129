/**
 * A server child of `bench:api`: `server-child.ts <dataDir> <mode>`, forked by `server-process.ts`
 * and driven over IPC. Each child runs one server, so that its memory and its CPU time are its own.
 */
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { recordNothing } from '../support/unrecorded-audit.js';
import { listenFloor } from './floor-server.js';
import { LOAD_CLIENTS, MiB } from './options.js';

/**
 * `api`: docstore's service, not logging (as the bench has always measured it); `logged`: the same,
 * logging as `serve` does (pino at LOG_LEVEL=info, two lines a request) into a file of the data
 * directory; `unaudited`: audit log recording nothing; `plain`: the plain HTTP floor
 * (`listenPlain`); `floor`: the durable floor (`floor-server.ts`).
 */
export type ServerMode = 'api' | 'logged' | 'unaudited' | 'plain' | 'floor';

/** What the orchestrator asks the server child, and what each question is answered with. */
export interface Answers {
  'peak-reset': { rssBytes: number; method: string };
  'peak-read': { peakBytes: number };
  /** The child's CPU time so far (`process.cpuUsage()`), in microseconds. */
  'cpu-read': { userMicros: number; systemMicros: number };
}
export type ToServer = { type: keyof Answers | 'close' };
export type FromServer = { [K in keyof Answers]: { type: K } & Answers[K] }[keyof Answers] | { type: 'ready'; port: number };

/** VmRSS and VmHWM (peak) of this process in bytes, when /proc has them. */
function procMemory(): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    const memory = { rss: kib('VmRSS'), peak: kib('VmHWM') };
    return Number.isFinite(memory.rss) && Number.isFinite(memory.peak) ? memory : undefined;
  } catch (error) {
    if (procUnavailable(error)) return undefined; // not Linux: the sampler is the fallback
    throw error;
  }
}

/** Resets the kernel's RSS high-water mark to the current RSS; false where that is not possible. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return procMemory() !== undefined;
  } catch (error) {
    if (procUnavailable(error)) return false; // not Linux, or /proc read-only: the sampler is the fallback
    throw error;
  }
}

function procUnavailable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'EINVAL';
}

async function serverChild(dataDir: string, mode: ServerMode): Promise<void> {
  const send = (message: FromServer) => process.send?.(message);
  const server =
    mode === 'floor'
      ? await listenFloor(join(dataDir, 'floor'))
      : mode === 'plain'
        ? await listenPlain(join(dataDir, 'plain-1mib.pdf'))
        : await startApi(dataDir, mode !== 'unaudited', mode === 'logged');
  let sampled = 0;
  let sampler: NodeJS.Timeout | undefined;
  let kernelPeak = false;
  const collect = async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  };
  process.on('message', (message: ToServer) => {
    void (async () => {
      switch (message.type) {
        case 'peak-reset': {
          await collect();
          kernelPeak = resetPeak();
          clearInterval(sampler);
          sampled = process.memoryUsage.rss();
          // The sampler costs a system call a millisecond: only where the kernel keeps no peak.
          if (!kernelPeak) {
            sampler = setInterval(() => {
              sampled = Math.max(sampled, process.memoryUsage.rss());
            }, 1);
          }
          send({ type: 'peak-reset', rssBytes: process.memoryUsage.rss(), method: kernelPeak ? 'VmHWM' : 'sampled every 1 ms' });
          return;
        }
        case 'peak-read': {
          clearInterval(sampler);
          const peak = Math.max(sampled, process.memoryUsage.rss(), kernelPeak ? (procMemory()?.peak ?? 0) : 0);
          send({ type: 'peak-read', peakBytes: peak });
          return;
        }
        case 'cpu-read': {
          const { user, system } = process.cpuUsage();
          send({ type: 'cpu-read', userMicros: user, systemMicros: system });
          return;
        }
        case 'close':
          clearInterval(sampler);
          await server.close();
          process.exit(0);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: (server.server.address() as AddressInfo).port });
}

/**
 * docstore's service on a free port of 127.0.0.1, with its audit trail or (`audited` false)
 * without; `logged`: logging at info level to the child's standard output (a file, see
 * `server-process.ts`), as `docstore serve` does; otherwise not logging.
 */
async function startApi(dataDir: string, audited: boolean, logged: boolean): Promise<{ server: HttpServer; close(): Promise<void> }> {
  // Imported here: a floor child does not load docstore's modules (its RSS is its own).
  const [{ loadConfig }, { createService }] = await Promise.all([import('../../src/config.js'), import('../../src/http/server.js')]);
  const config = loadConfig({
    DATA_DIR: dataDir,
    DOCSTORE_JWT_SECRET: process.env.BENCH_API_JWT_SECRET,
    LOG_LEVEL: logged ? 'info' : 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    // The load run's 64 clients share one token: admit them all (the defaults would answer 429 beyond 8).
    MAX_UPLOADS_IN_FLIGHT: String(LOAD_CLIENTS),
    MAX_UPLOADS_IN_FLIGHT_PER_SUBJECT: String(LOAD_CLIENTS),
  });
  const service = await createService(config, logged ? {} : { logger: false });
  if (!audited) recordNothing(service.audit.log);
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  return { server: service.app.server, close: () => service.close() };
}

/**
 * The HTTP floor: a plain `node:http` server that drains any POST and answers 201 with a small
 * JSON body, and answers any GET with a 1 MiB file streamed from disk (as the local adapter does).
 */
async function listenPlain(file: string): Promise<{ server: HttpServer; close(): Promise<void> }> {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(MiB - 9)]));
  const server = createServer((request, response) => {
    void (async () => {
      if (request.method === 'POST') {
        for await (const _chunk of request);
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end('{"id":"plain"}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(MiB) });
      await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), response);
    })().catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await serverChild(process.argv[2] as string, process.argv[3] as ServerMode);
}
