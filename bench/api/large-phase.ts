import { Agent } from 'node:http';
import { join } from 'node:path';
import { registerBuilding, token, uploadChecked, uploadForm, type Client } from './http-client.js';
import { MiB } from './options.js';
import { startServer } from './server-process.js';

export interface LargeResult {
  milliseconds: number;
  rssBeforeBytes: number;
  peakGrowthBytes: number;
}

/** One 50 MiB upload to a fresh server (warmed up by two 1 MiB uploads). */
export async function benchLarge(base: string, bytes: number): Promise<LargeResult> {
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
