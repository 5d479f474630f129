import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/events/webhook-signature.js';
import type { WebhookEvent } from '../../src/events/webhook-event.js';

/** One POST the receiver got, whatever it answered. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  event: WebhookEvent;
  /** Whether `Docstore-Signature` verified against the body with the receiver's secret. */
  verified: boolean;
  /** What the receiver did: a status it answered, or `hang` (never answered). */
  answer: number | 'hang';
}

/** What to do with the n-th request (0-based): answer a status, or hang until closed (the sender's timeout). */
export type ReceiverBehaviour = (index: number, event: WebhookEvent) => number | 'hang';

/**
 * A real webhook endpoint: node:http on 127.0.0.1 and a free port, which verifies each request's
 * signature like a receiver would, keeps every request, and answers as `behaviour` says.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  behaviour: ReceiverBehaviour = () => 204;
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(secret: string): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const event = JSON.parse(body) as WebhookEvent;
        const self = receiver as WebhookReceiver;
        const answer = self.behaviour(self.received.length, event);
        const verified = verifySignature(Buffer.from(secret), String(request.headers['docstore-signature'] ?? ''), body, Math.floor(Date.now() / 1000));
        self.received.push({ headers: request.headers, body, event, verified, answer });
        if (answer === 'hang') {
          self.hanging.add(response);
          return;
        }
        response.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`);
    return receiver;
  }

  /** The requests answered 2xx, in arrival order. */
  get accepted(): ReceivedWebhook[] {
    return this.received.filter((request) => typeof request.answer === 'number' && request.answer >= 200 && request.answer < 300);
  }

  /** The ids of the events accepted for `documentId`, in the order first accepted (a duplicate counts once). */
  acceptedFor(documentId: string): string[] {
    const ids: string[] = [];
    for (const request of this.accepted) if (request.event.documentId === documentId && !ids.includes(request.event.id)) ids.push(request.event.id);
    return ids;
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
