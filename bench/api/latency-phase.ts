import { Agent } from 'node:http';
import { join } from 'node:path';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import { drain, registerBuilding, send, token, upload, uploadChecked, uploadForm, type Client, type Reply } from './http-client.js';
import { LATENCY_RUNS, LATENCY_WARM_UP, MiB } from './options.js';
import { startServer } from './server-process.js';
import { compare } from './statistics.js';

export interface LatencyRow {
  operation: 'upload' | 'download';
  baseline: number[];
  plain: number[];
  api: number[];
  /** The API of a server whose audit log records nothing. */
  unaudited: number[];
  /** The durable floor (`floor-server.ts`): uploads only. */
  floor?: number[];
  /** Uploads only: CPU time (user + system) of each server's process per upload, in ms. */
  serverCpu?: { plain: number; api: number; unaudited: number; floor: number };
}

/**
 * 1 MiB upload and download: the API (server child) against the bare adapter (here, same disk),
 * the plain HTTP floor, the durable floor (uploads) and the API without its audit trail, each
 * server in a child of its own, alternated.
 */
export async function benchLatency(base: string): Promise<LatencyRow[]> {
  const server = await startServer(join(base, 'latency'));
  const quiet = await startServer(join(base, 'latency-unaudited'), 'unaudited');
  const durable = await startServer(join(base, 'latency-floor'), 'floor');
  const bare = await startServer(join(base, 'latency-plain'), 'plain');
  const client: Client = { agent: new Agent({ keepAlive: true, maxSockets: 1 }), port: server.port, token: await token() };
  const plain: Client = { ...client, agent: new Agent({ keepAlive: true, maxSockets: 1 }), port: bare.port };
  const unaudited: Client = { ...client, agent: new Agent({ keepAlive: true, maxSockets: 1 }), port: quiet.port };
  const floor: Client = { ...client, agent: new Agent({ keepAlive: true, maxSockets: 1 }), port: durable.port };
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
    const children = [bare, server, quiet, durable];
    const cpuBefore = await Promise.all(children.map((child) => child.ask('cpu-read')));
    // Bare adapter: the put the service makes (create-only under a fresh key), from bytes in memory.
    const [putBare, putPlain, putApi, putUnaudited, putFloor] = await compare(LATENCY_RUNS, [
      async (i) => void (await storage.put(`bench/${buildingId}/${i}`, file, { contentType: 'application/pdf', ifNoneMatch: '*' })),
      async () => expect('plain upload', await upload(plain, buildingId, form), 201),
      async () => expect('upload', await upload(client, buildingId, form), 201),
      async () => expect('upload without audit', await upload(unaudited, quietBuildingId, form), 201),
      async () => expect('durable floor upload', await upload(floor, buildingId, form), 201),
    ]);
    const cpuAfter = await Promise.all(children.map((child) => child.ask('cpu-read')));
    // Each child served one upload a run (warm-up included) and nothing else meanwhile.
    const [plainCpu = 0, apiCpu = 0, unauditedCpu = 0, floorCpu = 0] = cpuAfter.map(
      (after, index) => (after.userMicros + after.systemMicros - (cpuBefore[index]?.userMicros ?? 0) - (cpuBefore[index]?.systemMicros ?? 0)) / 1000 / (LATENCY_RUNS + LATENCY_WARM_UP),
    );
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
      { operation: 'upload', baseline: putBare ?? [], plain: putPlain ?? [], api: putApi ?? [], unaudited: putUnaudited ?? [], floor: putFloor ?? [], serverCpu: { plain: plainCpu, api: apiCpu, unaudited: unauditedCpu, floor: floorCpu } },
      { operation: 'download', baseline: getBare ?? [], plain: getPlain ?? [], api: getApi ?? [], unaudited: getUnaudited ?? [] },
    ];
  } finally {
    for (const each of [client, plain, unaudited, floor]) each.agent.destroy();
    await server.stop();
    await quiet.stop();
    await durable.stop();
    await bare.stop();
  }
}
