import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { UploadIdleWatchdog } from '../../src/http/limits/upload-idle-watchdog.js';
import { openRawRequest } from '../support/raw-http.js';

const IDLE_MS = 500;

/**
 * A real HTTP server whose handler watches each request and reads its body only after `readAfterMs`
 * (a storage slower than the client); it records whether the watchdog fired.
 */
async function watchingServer(readAfterMs: number): Promise<{ url: string; server: Server; idle: Promise<IncomingMessage>; answered: Promise<number> }> {
  let onIdle: (request: IncomingMessage) => void = () => undefined;
  let onAnswered: (bytes: number) => void = () => undefined;
  const idle = new Promise<IncomingMessage>((resolve) => (onIdle = resolve));
  const answered = new Promise<number>((resolve) => (onAnswered = resolve));
  const server = createServer((request, response) => {
    const watchdog = UploadIdleWatchdog.watch(request, IDLE_MS, () => {
      onIdle(request);
      request.destroy();
    });
    setTimeout(() => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        watchdog.stop();
        response.end(String(bytes));
        onAnswered(bytes);
      });
    }, readAfterMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, idle, answered };
}

describe('UploadIdleWatchdog on a real connection', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('fires when the client sends nothing for the idle time', async () => {
    const watched = await watchingServer(0);
    server = watched.server;
    const request = openRawRequest(watched.url, 'POST', '/', { 'content-length': '1000000' });
    await request.send(Buffer.alloc(1000));
    const started = Date.now();
    await watched.idle;
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect((await request.closed).closedByServer).toBe(true);
  });

  it('does not fire while bytes received wait for docstore to read them (its storage is slower than the client)', async () => {
    const watched = await watchingServer(IDLE_MS * 4);
    server = watched.server;
    const body = Buffer.alloc(4 * 1024 * 1024, 7);
    const request = openRawRequest(watched.url, 'POST', '/', { 'content-length': String(body.length), connection: 'close' });
    void request.send(body);
    const outcome = await Promise.race([watched.answered, watched.idle.then(() => 'idle' as const)]);
    expect(outcome).toBe(body.length);
    expect((await request.closed).status).toBe(200);
  });

  it('stops watching once the body is complete: silence after it is not idleness', async () => {
    const watched = await watchingServer(0);
    server = watched.server;
    const request = openRawRequest(watched.url, 'POST', '/', { 'content-length': '3', connection: 'close' });
    await request.send('abc');
    expect(await watched.answered).toBe(3);
    await sleep(IDLE_MS * 2);
    expect(await Promise.race([watched.idle.then(() => 'idle'), Promise.resolve('quiet')])).toBe('quiet');
  });
});
