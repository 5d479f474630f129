import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 in front of a listening service, whose connections a test can cut. */
export interface CuttableProxy {
  /** `http://127.0.0.1:<port>`: a page loaded from here sends every request through the proxy. */
  url: string;
  /**
   * Cuts the network: every open connection is destroyed on both sides (a request under way fails
   * as on a dropped mobile connection), and new ones are closed at once until `restore`. Answers how
   * many connections were open.
   */
  cut(): number;
  /** Lets connections through again. */
  restore(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`http://127.0.0.1:<port>`) on a free port. */
export async function startCuttableProxy(target: string): Promise<CuttableProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let isCut = false;
  const server = createServer((client) => {
    if (isCut) return void client.destroy();
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      // A reset on one side ends the other; the error itself is the point of a cut.
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    cut: () => {
      isCut = true;
      const count = Math.ceil(open.size / 2);
      for (const socket of open) socket.resetAndDestroy();
      return count;
    },
    restore: () => {
      isCut = false;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
