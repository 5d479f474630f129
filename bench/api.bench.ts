/**
 * `npm run bench:api`: the documents API on the embedded default (local storage and SQLite in a
 * temporary DATA_DIR), its server in a child process listening on 127.0.0.1, driven by real HTTP
 * clients sending multipart/form-data:
 * - 1 MiB upload and download against the bare `LocalObjectStorage` on the same disk (the storage
 *   benchmark's adapter), alternated after warm-up: median, p99, ratio of medians. Alongside, the
 *   floor any Node HTTP server pays for the same transfer: a plain `node:http` server in the same
 *   child that drains the upload, or streams a 1 MiB file; and the same API in a second server
 *   child whose audit log records nothing (`bench/support/unrecorded-audit.ts`): the audit
 *   trail's cost, target ≤ 15 % on each median;
 * - 64 concurrent clients uploading 1 MiB for `BENCH_API_SECONDS` (default 10): uploads per second,
 *   p50, p99, errors, and the server's peak RSS growth;
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
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { mintToken } from '../src/auth/jwt-verifier.js';
import { loadConfig } from '../src/config.js';
import { createService } from '../src/http/server.js';
import { LocalObjectStorage } from '../src/storage/local/local-object-storage.js';
import { benchResumableUploads, resumableUploadTable, type ResumableUploadRow } from './resumable-upload.bench.js';
import { recordNothing } from './support/unrecorded-audit.js';

const MiB = 1024 * 1024;
const JWT_SECRET = `docstore-bench-jwt-secret-${randomBytes(16).toString('hex')}`;
const ORGANIZATION_ID = randomUUID();
const LATENCY_RUNS = positiveNumber('BENCH_API_RUNS', 201);
const LATENCY_WARM_UP = 10;
const LOAD_SECONDS = positiveNumber('BENCH_API_SECONDS', 10);
const LOAD_CLIENTS = 64;
/** The phases to run: `BENCH_API_ONLY=latency,load,large,resumable` (comma-separated), all by default. */
const PHASES = phasesToRun(process.env.BENCH_API_ONLY);
/** A request that takes longer than this fails (and is counted as an error). */
const REQUEST_TIMEOUT_MS = 60_000;

function phasesToRun(value: string | undefined): ReadonlySet<string> {
  const all = ['latency', 'load', 'large', 'resumable'];
  if (value === undefined || value.trim() === '') return new Set(all);
  const asked = value.split(',').map((phase) => phase.trim());
  const unknown = asked.filter((phase) => !all.includes(phase));
  if (unknown.length > 0 || asked.length === 0) throw new Error(`BENCH_API_ONLY takes phases among ${all.join(', ')}, not "${value}"`);
  return new Set(asked);
}

function positiveNumber(variable: string, fallback: number): number {
  const value = Number(process.env[variable] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${variable} must be a positive number, not "${process.env[variable]}"`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Server child: `api.bench.ts server <dataDir> [unaudited]`, driven over IPC.
// ---------------------------------------------------------------------------------------------

/** What the orchestrator asks the server child, and what each question is answered with. */
interface Answers {
  'peak-reset': { rssBytes: number; method: string };
  'peak-read': { peakBytes: number };
}
type ToServer = { type: keyof Answers | 'close' };
type FromServer = { [K in keyof Answers]: { type: K } & Answers[K] }[keyof Answers] | { type: 'ready'; port: number; plainPort: number };

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

async function serverChild(dataDir: string, audited: boolean): Promise<void> {
  const send = (message: FromServer) => process.send?.(message);
  const config = loadConfig({
    DATA_DIR: dataDir,
    DOCSTORE_JWT_SECRET: process.env.BENCH_API_JWT_SECRET,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    // The load run's 64 clients share one token: admit them all (the defaults would answer 429 beyond 8).
    MAX_UPLOADS_IN_FLIGHT: String(LOAD_CLIENTS),
    MAX_UPLOADS_IN_FLIGHT_PER_SUBJECT: String(LOAD_CLIENTS),
  });
  const service = await createService(config, { logger: false });
  if (!audited) recordNothing(service.audit.log);
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = service.app.server.address() as AddressInfo;
  const plain = await listenPlain(join(dataDir, 'plain-1mib.pdf'));
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
        case 'close':
          clearInterval(sampler);
          await new Promise((resolve) => plain.close(resolve));
          await service.close();
          process.exit(0);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port, plainPort: (plain.address() as AddressInfo).port });
}

/**
 * The HTTP floor: a plain `node:http` server that drains any POST and answers 201 with a small
 * JSON body, and answers any GET with a 1 MiB file streamed from disk (as the local adapter does).
 */
async function listenPlain(file: string): Promise<HttpServer> {
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
  return server;
}

// ---------------------------------------------------------------------------------------------
// Orchestrator.
// ---------------------------------------------------------------------------------------------

interface Server {
  child: ChildProcess;
  port: number;
  plainPort: number;
  ask<T extends keyof Answers>(type: T): Promise<Answers[T]>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

async function startServer(dataDir: string, options: { audited: boolean } = { audited: true }): Promise<Server> {
  const profileDir = process.env.BENCH_API_CPU_PROF;
  const child = fork(new URL(import.meta.url).pathname, ['server', dataDir, ...(options.audited ? [] : ['unaudited'])], {
    execArgv: ['--expose-gc', '--import', 'tsx', ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`])],
    env: { ...process.env, BENCH_API_JWT_SECRET: JWT_SECRET },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
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
  const { port, plainPort } = await next('ready');
  return {
    child,
    port,
    plainPort,
    ask: <T extends keyof Answers>(type: T) => {
      const reply = next(type);
      child.send({ type } satisfies ToServer);
      return reply as Promise<Answers[T]>;
    },
    stop: () => stopChild(child),
  };
}

/** Asks the child to close, then kills it (by pid) if it has not exited within 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'close' } satisfies ToServer);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

interface Client {
  agent: Agent;
  port: number;
  token: string;
}

interface Reply {
  status: number;
  /** Bytes of the response body. */
  bytes: number;
  /** The body, when kept (error answers, and when asked). */
  body?: Buffer;
}

function send(client: Client, method: string, path: string, headers: Record<string, string>, body?: Buffer, keepBody = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: client.port,
        method,
        path,
        agent: client.agent,
        headers: { authorization: `Bearer ${client.token}`, ...headers, ...(body === undefined ? {} : { 'content-length': String(body.length) }) },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const keep = keepBody || status >= 300;
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (keep) chunks.push(chunk);
        });
        res.once('end', () => resolve({ status, bytes, ...(keep ? { body: Buffer.concat(chunks) } : {}) }));
        res.once('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}

interface Multipart {
  body: Buffer;
  contentType: string;
}

/** A PDF (`%PDF-1.4\n` then random bytes) of `bytes` bytes, as the upload form: type, title, file. */
function uploadForm(bytes: number): Multipart {
  const boundary = `docstore-bench-${randomBytes(12).toString('hex')}`;
  const head =
    `--${boundary}\r\ncontent-disposition: form-data; name="type"\r\n\r\ninvoice\r\n` +
    `--${boundary}\r\ncontent-disposition: form-data; name="title"\r\n\r\nBench invoice ${bytes / MiB} MiB\r\n` +
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="bench.pdf"\r\ncontent-type: application/pdf\r\n\r\n`;
  const file = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(bytes - 9)]);
  return { body: Buffer.concat([Buffer.from(head), file, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

function upload(client: Client, buildingId: string, form: Multipart, keepBody = false): Promise<Reply> {
  return send(client, 'POST', `/api/v1/buildings/${buildingId}/documents`, { 'content-type': form.contentType }, form.body, keepBody);
}

/** Registers a building (uploads go only into registered ones) and returns its id, or throws with the server's answer. */
async function registerBuilding(client: Client): Promise<string> {
  const id = randomUUID();
  const reply = await send(client, 'POST', '/api/v1/buildings', { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ id, name: `Bench ${id.slice(0, 8)}` })), true);
  if (reply.status !== 201) throw new Error(`registering a building answered ${reply.status}: ${reply.body?.toString('utf8') ?? ''}`);
  return id;
}

/** Uploads and returns the new document's id, or throws with the server's answer. */
async function uploadChecked(client: Client, buildingId: string, form: Multipart, fileBytes: number): Promise<string> {
  const reply = await upload(client, buildingId, form, true);
  const text = reply.body?.toString('utf8') ?? '';
  const document = (reply.status === 201 ? JSON.parse(text) : {}) as { id?: string; size?: number; mimeType?: string };
  if (document.id === undefined || document.size !== fileBytes || document.mimeType !== 'application/pdf') {
    throw new Error(`upload answered ${reply.status}: ${text.slice(0, 500)}`);
  }
  return document.id;
}

function token(): Promise<string> {
  return mintToken(Buffer.from(JWT_SECRET), { sub: 'bench-syndic', org: ORGANIZATION_ID, role: 'syndic', ttlSeconds: 3600 });
}

async function drain(stream: NodeJS.ReadableStream): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) bytes += chunk.length;
  return bytes;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

type Step = (iteration: number) => Promise<void>;

/** Runs the steps in turn, rotating their order each run (after warm-up), so that drift hits all alike. */
async function compare(runs: number, steps: Step[]): Promise<number[][]> {
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

interface LatencyRow {
  operation: string;
  baseline: number[];
  plain: number[];
  api: number[];
  /** The API of a server whose audit log records nothing. */
  unaudited: number[];
}

/**
 * 1 MiB upload and download: the API (server child) against the bare adapter (here, same disk),
 * the plain HTTP floor, and the API without its audit trail (a second server child).
 */
async function benchLatency(base: string): Promise<LatencyRow[]> {
  const server = await startServer(join(base, 'latency'));
  const quiet = await startServer(join(base, 'latency-unaudited'), { audited: false });
  const client: Client = { agent: new Agent({ keepAlive: true, maxSockets: 1 }), port: server.port, token: await token() };
  const plain: Client = { ...client, agent: new Agent({ keepAlive: true, maxSockets: 1 }), port: server.plainPort };
  const unaudited: Client = { ...client, agent: new Agent({ keepAlive: true, maxSockets: 1 }), port: quiet.port };
  try {
    const storage = await LocalObjectStorage.open({ root: join(base, 'bare-objects') });
    const form = uploadForm(MiB);
    const fileStart = form.body.indexOf('%PDF-1.4\n');
    const file = form.body.subarray(fileStart, fileStart + MiB);
    const buildingId = await registerBuilding(client);
    const quietBuildingId = await registerBuilding(unaudited);
    const expect = (what: string, reply: Reply, status: number, bytes?: number) => {
      if (reply.status !== status || (bytes !== undefined && reply.bytes !== bytes)) {
        throw new Error(`${what} answered ${reply.status} with ${reply.bytes} bytes: ${reply.body?.toString('utf8').slice(0, 500)}`);
      }
    };
    // Bare adapter: the put the service makes (create-only under a fresh key), from bytes in memory.
    const [putBare, putPlain, putApi, putUnaudited] = await compare(LATENCY_RUNS, [
      async (i) => void (await storage.put(`bench/${buildingId}/${i}`, file, { contentType: 'application/pdf', ifNoneMatch: '*' })),
      async () => expect('plain upload', await upload(plain, buildingId, form), 201),
      async () => expect('upload', await upload(client, buildingId, form), 201),
      async () => expect('upload without audit', await upload(unaudited, quietBuildingId, form), 201),
    ]);
    const documentId = await uploadChecked(client, buildingId, form, MiB);
    const quietDocumentId = await uploadChecked(unaudited, quietBuildingId, form, MiB);
    await storage.put('bench/download', file, { contentType: 'application/pdf' });
    const [getBare, getPlain, getApi, getUnaudited] = await compare(LATENCY_RUNS, [
      async () => {
        const bytes = await drain((await storage.get('bench/download')).body);
        if (bytes !== MiB) throw new Error(`bare get read ${bytes} bytes`);
      },
      async () => expect('plain download', await send(plain, 'GET', '/plain', {}), 200, MiB),
      async () => expect('download', await send(client, 'GET', `/api/v1/documents/${documentId}/content`, {}), 200, MiB),
      async () => expect('download without audit', await send(unaudited, 'GET', `/api/v1/documents/${quietDocumentId}/content`, {}), 200, MiB),
    ]);
    return [
      { operation: 'upload', baseline: putBare ?? [], plain: putPlain ?? [], api: putApi ?? [], unaudited: putUnaudited ?? [] },
      { operation: 'download', baseline: getBare ?? [], plain: getPlain ?? [], api: getApi ?? [], unaudited: getUnaudited ?? [] },
    ];
  } finally {
    client.agent.destroy();
    plain.agent.destroy();
    unaudited.agent.destroy();
    await server.stop();
    await quiet.stop();
  }
}

interface LoadResult {
  seconds: number;
  uploads: number;
  latencies: number[];
  errors: number;
  firstError?: string;
  rssBeforeBytes: number;
  peakGrowthBytes: number;
  peakMethod: string;
}

/**
 * `clients` concurrent clients, each in its own building, uploading 1 MiB back to back until
 * `seconds` have passed; then no new upload starts and those in flight are awaited.
 */
async function benchLoad(base: string, clients: number, seconds: number): Promise<LoadResult> {
  const server = await startServer(join(base, 'load'));
  const client: Client = { agent: new Agent({ keepAlive: true, maxSockets: clients }), port: server.port, token: await token() };
  try {
    const form = uploadForm(MiB);
    const buildings: string[] = [];
    for (let i = 0; i < clients; i++) buildings.push(await registerBuilding(client));
    for (const buildingId of buildings.slice(0, 16)) await uploadChecked(client, buildingId, form, MiB);
    const { rssBytes, method } = await server.ask('peak-reset');
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      buildings.map(async (buildingId) => {
        while (performance.now() < deadline) {
          const sent = performance.now();
          try {
            const reply = await upload(client, buildingId, form);
            if (reply.status === 201) latencies.push(performance.now() - sent);
            else {
              errors++;
              firstError ??= `HTTP ${reply.status}: ${reply.body?.toString('utf8').slice(0, 300)}`;
            }
          } catch (error) {
            errors++;
            firstError ??= String(error);
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const { peakBytes } = await server.ask('peak-read');
    return {
      seconds: elapsed,
      uploads: latencies.length,
      latencies,
      errors,
      ...(firstError === undefined ? {} : { firstError }),
      rssBeforeBytes: rssBytes,
      peakGrowthBytes: peakBytes - rssBytes,
      peakMethod: method,
    };
  } finally {
    client.agent.destroy();
    await server.stop();
  }
}

interface LargeResult {
  milliseconds: number;
  rssBeforeBytes: number;
  peakGrowthBytes: number;
}

/** One 50 MiB upload to a fresh server (warmed up by two 1 MiB uploads). */
async function benchLarge(base: string, bytes: number): Promise<LargeResult> {
  const server = await startServer(join(base, 'large'));
  const client: Client = { agent: new Agent({ keepAlive: true, maxSockets: 1 }), port: server.port, token: await token() };
  try {
    const buildingId = await registerBuilding(client);
    const small = uploadForm(MiB);
    for (let i = 0; i < 2; i++) await uploadChecked(client, buildingId, small, MiB);
    const form = uploadForm(bytes);
    const { rssBytes } = await server.ask('peak-reset');
    const started = performance.now();
    await uploadChecked(client, buildingId, form, bytes);
    const milliseconds = performance.now() - started;
    const { peakBytes } = await server.ask('peak-read');
    return { milliseconds, rssBeforeBytes: rssBytes, peakGrowthBytes: peakBytes - rssBytes };
  } finally {
    client.agent.destroy();
    await server.stop();
  }
}

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
  let load: LoadResult | undefined;
  let large: LargeResult | undefined;
  try {
    if (PHASES.has('latency')) latency = await benchLatency(base);
    if (PHASES.has('load')) load = await benchLoad(base, LOAD_CLIENTS, LOAD_SECONDS);
    if (PHASES.has('large')) large = await benchLarge(base, 50 * MiB);
  } finally {
    for (const child of [...children]) await stopChild(child);
    cleanUp();
  }
  const resumable: ResumableUploadRow[] | undefined = PHASES.has('resumable') ? await benchResumableUploads() : undefined;
  const targets: Array<[string, string, boolean]> = [];

  const cpu = cpus();
  const ms = (value: number) => value.toFixed(2);
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  console.log(
    `\nMachine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, ${platform()} ${arch()}, Node ${process.version}.`,
  );
  const loads = (averages: number[]) => averages.map((average) => average.toFixed(2)).join(', ');
  console.log(`Load average (1, 5, 15 min): ${loads(loadBefore)} at the start, ${loads(loadavg())} at the end.`);
  console.log('Embedded default (local storage + SQLite, temporary DATA_DIR); server in a child process on 127.0.0.1; clients: node:http, keep-alive, multipart/form-data.');

  if (latency !== undefined) {
    console.log(
      `\n| 1 MiB, ${LATENCY_RUNS} runs each | bare adapter median ms | bare adapter p99 ms | plain HTTP median ms | plain HTTP p99 ms | API median ms | API p99 ms | ratio API / bare (medians) |`,
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const row of latency) {
      const label = row.operation === 'upload' ? 'upload (POST vs `put`)' : 'download (GET /content vs `get` + drain)';
      const cells = [row.baseline, row.plain, row.api].flatMap((samples) => [ms(median(samples)), ms(percentile(samples, 99))]);
      console.log(`| ${label} | ${cells.join(' | ')} | ${(median(row.api) / median(row.baseline)).toFixed(2)} |`);
    }
    console.log('\nPlain HTTP: the same request to a bare `node:http` server in the server process (drains the upload; streams a 1 MiB file), the transport floor.');

    console.log(`\n| 1 MiB, ${LATENCY_RUNS} runs each | API without audit median ms | p99 ms | API with audit median ms | p99 ms | audit trail cost (medians) |`);
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const row of latency) {
      const cells = [row.unaudited, row.api].flatMap((samples) => [ms(median(samples)), ms(percentile(samples, 99))]);
      console.log(`| ${row.operation} | ${cells.join(' | ')} | ${percent(auditCost(row))} |`);
    }
    console.log('\nWithout audit: a second server child whose audit log records nothing (bench/support/unrecorded-audit.ts), run in turn with the others.');
    const upload = latency.find((row) => row.operation === 'upload') as LatencyRow;
    const [uploadRatio = Number.NaN, downloadRatio = Number.NaN] = latency.map((row) => median(row.api) / median(row.baseline));
    const costs = latency.map(auditCost);
    // Issue 22's targets, with the audit trail and versions in.
    targets.push(
      ['1 MiB upload p50 ≤ 9 ms', `${ms(median(upload.api))} ms`, median(upload.api) <= 9],
      ['upload ratio API / bare ≤ 1.6', uploadRatio.toFixed(2), uploadRatio <= 1.6],
      ['download ratio API / bare ≤ 1.5', downloadRatio.toFixed(2), downloadRatio <= 1.5],
      ['audit trail cost ≤ 15 % (upload, download medians)', costs.map(percent).join(', '), costs.every((cost) => cost <= 0.15)],
    );
  }

  if (load !== undefined) {
    console.log(`\n| ${LOAD_CLIENTS} clients uploading 1 MiB | seconds | uploads | uploads/s | p50 ms | p99 ms | errors | server RSS before (MiB) | server peak RSS growth (MiB) |`);
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    const rate = load.uploads / load.seconds;
    console.log(
      `| local + SQLite | ${load.seconds.toFixed(2)} | ${load.uploads} | ${rate.toFixed(1)} | ${ms(median(load.latencies))} | ${ms(percentile(load.latencies, 99))} | ${load.errors} | ${mib(load.rssBeforeBytes)} | ${mib(load.peakGrowthBytes)} |`,
    );
    if (load.firstError !== undefined) console.log(`\nFirst load error: ${load.firstError}`);
    targets.push(
      [`≥ 180 uploads/s with ${LOAD_CLIENTS} clients`, rate.toFixed(1), rate >= 180],
      [`RSS growth ≤ 64 MiB under the ${LOAD_CLIENTS}-client load`, `${mib(load.peakGrowthBytes)} MiB`, load.peakGrowthBytes <= 64 * MiB],
    );
  }

  if (large !== undefined) {
    console.log('\n| single upload, fresh server | size | time ms | MiB/s | server RSS before (MiB) | server peak RSS growth (MiB) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    console.log(`| local + SQLite | 50 MiB | ${large.milliseconds.toFixed(0)} | ${(50 / (large.milliseconds / 1000)).toFixed(0)} | ${mib(large.rssBeforeBytes)} | ${mib(large.peakGrowthBytes)} |`);
  }

  if (resumable !== undefined) {
    console.log('\nResumable uploads: tus against the multipart POST, alternated, in this process (server and client; the client streams from disk); RGW: the S3_TEST_* endpoint, SQLite.');
    for (const line of resumableUploadTable(resumable)) console.log(line);
    targets.push(['50 MiB through tus / multipart POST ≤ 1.25 (local, RGW)', resumable.map((row) => row.ratio.toFixed(2)).join(', '), resumable.every((row) => row.ratio <= 1.25)]);
  }

  console.log('\n| target | measured | met |');
  console.log('|---|---:|:---:|');
  for (const [target, measured, met] of targets) console.log(`| ${target} | ${measured} | ${met ? 'yes' : 'no'} |`);
  if (load !== undefined) console.log(`\nPeak RSS: ${load.peakMethod}, after a GC in the server; load phase of ${LOAD_SECONDS} s (BENCH_API_SECONDS).`);
}

/** What recording costs a request: (median with audit − median without) / median without. */
function auditCost(row: LatencyRow): number {
  return median(row.api) / median(row.unaudited) - 1;
}

function percent(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)} %`;
}

if (process.argv[2] === 'server') await serverChild(process.argv[3] as string, process.argv[4] !== 'unaudited');
else await main();
