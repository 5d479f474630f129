import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { registerBuilding, token, upload, uploadChecked, uploadForm, type Client } from './http-client.js';
import { MiB } from './options.js';
import { startServer } from './server-process.js';

export interface LoadResult {
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
 * `seconds` have passed; then no new upload starts and those in flight are awaited. `mode`: the
 * API (`api`), or the durable floor (`floor`, which has no buildings: the ids are only in the path).
 */
export async function benchLoad(base: string, clients: number, seconds: number, mode: 'api' | 'floor' = 'api'): Promise<LoadResult> {
  const dataDir = join(base, `load-${mode}`);
  const server = await startServer(dataDir, mode);
  const client: Client = { agent: new Agent({ keepAlive: true, maxSockets: clients }), port: server.port, token: await token() };
  try {
    const form = uploadForm(MiB);
    const buildings: string[] = [];
    for (let i = 0; i < clients; i++) buildings.push(mode === 'api' ? await registerBuilding(client) : randomUUID());
    for (const buildingId of buildings.slice(0, 16)) {
      if (mode === 'api') await uploadChecked(client, buildingId, form, MiB);
      else if ((await upload(client, buildingId, form)).status !== 201) throw new Error('the durable floor refused an upload');
    }
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
    // About 2 GB a round: gone before the next, whose fsyncs would otherwise queue behind its writeback.
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Rounds of one server taken together: their uploads over their time, every latency, the highest RSS growth. */
export function combined(rounds: readonly LoadResult[]): LoadResult {
  const first = rounds.find((round) => round.firstError !== undefined)?.firstError;
  const peak = rounds.reduce((highest, round) => (round.peakGrowthBytes > highest.peakGrowthBytes ? round : highest));
  return {
    seconds: rounds.reduce((sum, round) => sum + round.seconds, 0),
    uploads: rounds.reduce((sum, round) => sum + round.uploads, 0),
    latencies: rounds.flatMap((round) => round.latencies),
    errors: rounds.reduce((sum, round) => sum + round.errors, 0),
    ...(first === undefined ? {} : { firstError: first }),
    rssBeforeBytes: peak.rssBeforeBytes,
    peakGrowthBytes: peak.peakGrowthBytes,
    peakMethod: peak.peakMethod,
  };
}
