import type { ServerOptions } from 'node:http';

/**
 * How long a client may take to send a request. Both limits apply to receiving the request only:
 * once its body has arrived, the response (a long download included) takes the time it needs.
 * Past either, Node answers 408 and closes the connection; an upload cut that way is cleaned up
 * like any interrupted upload.
 */
export interface RequestTimeouts {
  /** `HEADERS_TIMEOUT_SECONDS`: the request line and headers must arrive within this. @default 30 */
  headersSeconds: number;
  /** `REQUEST_TIMEOUT_SECONDS`: the whole request, body included, must arrive within this. @default 1800 */
  requestSeconds: number;
}

/** 30 s for headers; 30 min for a whole request, 50 MiB at about 240 kbit/s. */
export const DEFAULT_REQUEST_TIMEOUTS: RequestTimeouts = { headersSeconds: 30, requestSeconds: 1800 };

/**
 * Node's HTTP server options that enforce `timeouts`. Node checks open connections against them
 * every `connectionsCheckingInterval`: here a quarter of the headers timeout (250 ms – 30 s).
 */
export function nodeServerTimeouts(timeouts: RequestTimeouts): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'> {
  const headersMs = timeouts.headersSeconds * 1000;
  return {
    headersTimeout: headersMs,
    requestTimeout: timeouts.requestSeconds * 1000,
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, headersMs / 4)),
  };
}
