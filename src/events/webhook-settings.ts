/** Where and how events are sent (`DOCSTORE_WEBHOOK_*`, docs/events.md). */
export interface WebhookSettings {
  /** The endpoints (http or https URLs); each event goes to every one. */
  urls: string[];
  /** The HMAC-SHA256 key the deliveries are signed with. */
  secret: Buffer;
  /** Attempts per delivery before it is dead. @default 20 */
  maxAttempts: number;
  /** How long one attempt may take, connection to the answer's headers. @default 10 */
  timeoutSeconds: number;
  /** The wait after the first failed attempt; doubled after each, with jitter. @default 10 */
  backoffSeconds: number;
  /** The longest wait between attempts. @default 3600 */
  backoffMaxSeconds: number;
  /** Days an event delivered to every endpoint is kept in the outbox before `serve` removes it. @default 30 */
  keepDays: number;
}

export const DEFAULT_WEBHOOK_SETTINGS = {
  maxAttempts: 20,
  timeoutSeconds: 10,
  backoffSeconds: 10,
  backoffMaxSeconds: 3600,
  keepDays: 30,
} as const satisfies Partial<WebhookSettings>;

/** An endpoint as logs and listings show it: a password in the URL (`https://user:pass@…`) masked. */
export function displayedEndpoint(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (parsed.password === '') return url;
  parsed.password = '***';
  return parsed.toString();
}
