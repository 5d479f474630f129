import { connect, type Socket } from 'node:net';

/** What came back on a raw connection once it closed. */
export interface RawAnswer {
  /** 0 when no status line arrived. */
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Buffer;
  /** Whether the server ended the connection (FIN or reset) rather than the client. */
  closedByServer: boolean;
}

/** A request written byte by byte on its own TCP connection, as a stalled or slow client would. */
export interface RawRequest {
  socket: Socket;
  /** Writes bytes; resolves once they are handed to the kernel (a server that stops reading may delay that). */
  send(bytes: Buffer | string): Promise<void>;
  /** Settles when the connection closes, whoever closed it. */
  closed: Promise<RawAnswer>;
}

/**
 * Opens a connection to `baseUrl` and writes the request line and headers of `method path` (with
 * `Host`; add `Connection: close` to have the server end the connection after answering). The body
 * is the caller's to send, in as many pieces and as slowly as it likes.
 */
export function openRawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string>): RawRequest {
  const { host } = new URL(baseUrl);
  const request = openRawConnection(baseUrl);
  const head = Object.entries({ host, ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  void request.send(`${method} ${path} HTTP/1.1\r\n${head}\r\n`);
  return request;
}

/** A bare connection to `baseUrl`: every byte of the request, head included, is the caller's to send. */
export function openRawConnection(baseUrl: string): RawRequest {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect({ host: hostname, port: Number(port) });
  const received: Buffer[] = [];
  let closedByServer = false;
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('end', () => {
    closedByServer = true;
    socket.end();
  });
  const closed = new Promise<RawAnswer>((resolve, reject) => {
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') closedByServer = true;
      else reject(error);
    });
    socket.on('close', () => resolve({ ...parseAnswer(Buffer.concat(received)), closedByServer }));
  });
  const send = (bytes: Buffer | string) =>
    new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      else socket.write(bytes, () => resolve());
    });
  return { socket, send, closed };
}

function parseAnswer(bytes: Buffer): Omit<RawAnswer, 'closedByServer'> {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0) };
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: bytes.subarray(end + 4) };
}
