import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.js';

/** One POST of an event to an endpoint. */
export interface WebhookRequest {
  endpoint: string;
  eventId: string;
  type: string;
  /** The exact body (the signature covers these bytes). */
  payload: string;
  attempt: number;
}

/** How an attempt went: `ok` for a 2xx answer; otherwise what went wrong, for `last_error` and the logs. */
export type WebhookResult = { ok: true; status: number } | { ok: false; error: string };

export interface WebhookSenderOptions {
  secret: Buffer;
  /** The longest an attempt may take until the answer's status. */
  timeoutMs: number;
  /** Unix seconds of the signature. @default the clock */
  nowSeconds?: () => number;
}

/**
 * Sends an event: a JSON POST with its id (also as `Idempotency-Key`), type, timestamp and
 * signature in headers. A 2xx answer delivers it; any other status, a redirect (not followed), a
 * connection error or the timeout is a failed attempt. The answer's body is not read.
 */
export class WebhookSender {
  private readonly nowSeconds: () => number;

  constructor(private readonly options: WebhookSenderOptions) {
    this.nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  async send(request: WebhookRequest): Promise<WebhookResult> {
    const t = this.nowSeconds();
    let response: Response;
    try {
      response = await fetch(request.endpoint, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'docstore-webhooks/1',
          'docstore-event-id': request.eventId,
          'idempotency-key': request.eventId,
          'docstore-event-type': request.type,
          'docstore-timestamp': String(t),
          'docstore-delivery-attempt': String(request.attempt),
          [SIGNATURE_HEADER]: signatureHeader(this.options.secret, t, request.payload),
        },
        body: request.payload,
      });
    } catch (error) {
      return { ok: false, error: describeFailure(error, this.options.timeoutMs) };
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, error: `HTTP ${response.status}` };
  }
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return `timeout after ${timeoutMs / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code !== undefined) return `${cause.code}${cause.message === undefined ? '' : `: ${cause.message}`}`;
  return error instanceof Error ? error.message : String(error);
}
