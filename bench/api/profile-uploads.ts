/**
 * `node --import tsx bench/api/profile-uploads.ts [uploads] [mode]`: `uploads` (default 200)
 * sequential 1 MiB uploads to one server child (`api` by default, or `unaudited`, `floor`), after
 * 20 to warm up, and the child's CPU time per upload (user and system, from `process.cpuUsage`),
 * steadier than wall time on a shared machine. With `BENCH_API_CPU_PROF=<dir>`, the child writes
 * its CPU profile there when it closes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerBuilding, token, upload, uploadForm, type Client } from './http-client.js';
import { MiB } from './options.js';
import type { ServerMode } from './server-child.js';
import { startServer } from './server-process.js';
import { median } from './statistics.js';

const uploads = Number(process.argv[2] ?? 200);
const mode = (process.argv[3] ?? 'api') as ServerMode;
const base = await mkdtemp(join(tmpdir(), 'docstore-profile-uploads-'));
const server = await startServer(base, mode);
const client: Client = { agent: new Agent({ keepAlive: true, maxSockets: 1 }), port: server.port, token: await token() };
try {
  const buildingId = mode === 'floor' ? randomUUID() : await registerBuilding(client);
  const form = uploadForm(MiB);
  const once = async () => {
    const reply = await upload(client, buildingId, form);
    if (reply.status !== 201) throw new Error(`upload answered ${reply.status}: ${reply.body?.toString('utf8').slice(0, 300)}`);
  };
  for (let i = 0; i < 20; i++) await once();
  const before = await server.ask('cpu-read');
  const wall: number[] = [];
  for (let i = 0; i < uploads; i++) {
    const started = performance.now();
    await once();
    wall.push(performance.now() - started);
  }
  const after = await server.ask('cpu-read');
  const user = (after.userMicros - before.userMicros) / uploads / 1000;
  const system = (after.systemMicros - before.systemMicros) / uploads / 1000;
  console.log(
    `${mode}: ${uploads} uploads, server CPU per upload ${(user + system).toFixed(2)} ms (user ${user.toFixed(2)}, system ${system.toFixed(2)}), wall p50 ${median(wall).toFixed(2)} ms, load ${loadavg()[0]?.toFixed(2)}`,
  );
} finally {
  client.agent.destroy();
  await server.stop();
  await rm(base, { recursive: true, force: true });
}
