import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ConfigIssue } from '../config-error.js';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from '../events/webhook-settings.js';

/** Shortest webhook secret accepted, in bytes (an HMAC-SHA256 key: 32 bytes of randomness, e.g. `openssl rand -hex 32`). */
const SECRET_MIN_BYTES = 32;

/** The webhook endpoints, their signing secret and the delivery's limits (docs/events.md). */
export const webhookVariables = {
  DOCSTORE_WEBHOOK_URLS: z.string().optional(),
  DOCSTORE_WEBHOOK_SECRET: z.string().optional(),
  DOCSTORE_WEBHOOK_SECRET_FILE: z.string().min(1).optional(),
  DOCSTORE_WEBHOOK_MAX_ATTEMPTS: z.coerce.number({ error: 'must be a number of attempts' }).int().min(1).max(1000).default(DEFAULT_WEBHOOK_SETTINGS.maxAttempts),
  DOCSTORE_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(0.1).max(300).default(DEFAULT_WEBHOOK_SETTINGS.timeoutSeconds),
  DOCSTORE_WEBHOOK_BACKOFF_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(0.01).max(86_400).default(DEFAULT_WEBHOOK_SETTINGS.backoffSeconds),
  DOCSTORE_WEBHOOK_KEEP_DAYS: z.coerce.number({ error: 'must be a number of days' }).int().min(1).max(3650).default(DEFAULT_WEBHOOK_SETTINGS.keepDays),
  DOCSTORE_WEBHOOK_BACKOFF_MAX_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(0.01).max(7 * 86_400).default(DEFAULT_WEBHOOK_SETTINGS.backoffMaxSeconds),
};

const webhookSchema = z.object(webhookVariables);
export type WebhookVariables = z.output<typeof webhookSchema>;

/**
 * The webhook settings, or the issues that prevent them: each URL must be http(s) and listed once,
 * a secret is required with URLs (from the variable or the file, not both) and must be long enough.
 * Undefined settings and no issue: no webhooks (no `DOCSTORE_WEBHOOK_URLS`).
 */
export function webhookSettingsOf(e: WebhookVariables): { settings?: WebhookSettings; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const urls = (e.DOCSTORE_WEBHOOK_URLS ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const url of urls) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) issues.push({ variable: 'DOCSTORE_WEBHOOK_URLS', message: `${JSON.stringify(url)} is not an http:// or https:// URL (the list is comma-separated)` });
  }
  if (new Set(urls).size !== urls.length) issues.push({ variable: 'DOCSTORE_WEBHOOK_URLS', message: 'lists a URL twice' });
  if (e.DOCSTORE_WEBHOOK_SECRET !== undefined && e.DOCSTORE_WEBHOOK_SECRET_FILE !== undefined) {
    issues.push({ variable: 'DOCSTORE_WEBHOOK_SECRET_FILE', message: 'cannot be combined with DOCSTORE_WEBHOOK_SECRET: set one' });
  }
  if (e.DOCSTORE_WEBHOOK_BACKOFF_SECONDS > e.DOCSTORE_WEBHOOK_BACKOFF_MAX_SECONDS) {
    issues.push({ variable: 'DOCSTORE_WEBHOOK_BACKOFF_SECONDS', message: `must not exceed DOCSTORE_WEBHOOK_BACKOFF_MAX_SECONDS (${e.DOCSTORE_WEBHOOK_BACKOFF_MAX_SECONDS})` });
  }
  if (urls.length === 0 || issues.length > 0) return { issues };
  const secret = secretOf(e, issues);
  if (secret === undefined) return { issues };
  return {
    settings: {
      urls,
      secret,
      maxAttempts: e.DOCSTORE_WEBHOOK_MAX_ATTEMPTS,
      timeoutSeconds: e.DOCSTORE_WEBHOOK_TIMEOUT_SECONDS,
      backoffSeconds: e.DOCSTORE_WEBHOOK_BACKOFF_SECONDS,
      backoffMaxSeconds: e.DOCSTORE_WEBHOOK_BACKOFF_MAX_SECONDS,
      keepDays: e.DOCSTORE_WEBHOOK_KEEP_DAYS,
    },
    issues,
  };
}

/** The secret from the variable or the file (trimmed), or an issue naming what is wrong. */
function secretOf(e: WebhookVariables, issues: ConfigIssue[]): Buffer | undefined {
  let text = e.DOCSTORE_WEBHOOK_SECRET;
  let variable = 'DOCSTORE_WEBHOOK_SECRET';
  if (e.DOCSTORE_WEBHOOK_SECRET_FILE !== undefined) {
    variable = 'DOCSTORE_WEBHOOK_SECRET_FILE';
    try {
      text = readFileSync(e.DOCSTORE_WEBHOOK_SECRET_FILE, 'utf8').trim();
    } catch (error) {
      issues.push({ variable, message: `cannot read ${e.DOCSTORE_WEBHOOK_SECRET_FILE}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
      return undefined;
    }
  }
  if (text === undefined) {
    issues.push({ variable: 'DOCSTORE_WEBHOOK_SECRET', message: 'is required when DOCSTORE_WEBHOOK_URLS is set (or DOCSTORE_WEBHOOK_SECRET_FILE): deliveries are signed with it' });
    return undefined;
  }
  if (Buffer.byteLength(text) < SECRET_MIN_BYTES) {
    issues.push({ variable, message: `must be at least ${SECRET_MIN_BYTES} bytes (e.g. openssl rand -hex 32)` });
    return undefined;
  }
  return Buffer.from(text, 'utf8');
}
