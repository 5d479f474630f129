import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ListenError, type ListenerSettings } from '../../src/http/listen-error.js';
import { freePort } from '../support/free-port.js';

/** The error a real `listen(port, host)` fails with. */
async function listenFailure(port: number, host: string): Promise<unknown> {
  const server: Server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', resolve);
    server.listen(port, host, () => server.close(() => reject(new Error(`listening on ${host}:${port} succeeded`))));
  });
}

const api = (host: string, port: number): ListenerSettings => ({ name: 'API', host, port, hostVariable: 'HOST', portVariable: 'PORT' });

describe('ListenError: what a listener that cannot open tells the operator', () => {
  it('a port in use names the port variable', async () => {
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const error = ListenError.of(await listenFailure(port, '127.0.0.1'), api('127.0.0.1', port));
      expect(error.code).toBe('listen.address_in_use');
      expect(error.message).toBe(`PORT: the API listener cannot use 127.0.0.1:${port}, something else listens there (another docstore instance?); give this instance another PORT`);
      expect(error.context).toEqual({ listener: 'API', host: '127.0.0.1', port, variable: 'PORT' });
      expect((error.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('an address that is not this machine’s names the host variable', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a real interface.
    const error = ListenError.of(await listenFailure(0, '192.0.2.1'), { name: 'metrics', host: '192.0.2.1', port: 0, hostVariable: 'METRICS_HOST', portVariable: 'METRICS_PORT' });
    expect(error.code).toBe('listen.address_unavailable');
    expect(error.message).toBe('METRICS_HOST: the metrics listener cannot use 192.0.2.1, not an address of this machine');
    expect(error.context.variable).toBe('METRICS_HOST');
  });

  it('an IPv6 address is bracketed, and an unknown failure keeps its message', () => {
    const error = ListenError.of(Object.assign(new Error('something odd'), { code: 'EINVAL' }), api('::1', 8080));
    expect(error.code).toBe('listen.failed');
    expect(error.message).toBe('PORT: the API listener cannot listen on [::1]:8080: something odd');
  });
});
