import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { describeConfig } from '../../src/config/describe-config.js';
import { backoffMs } from '../../src/events/webhook-backoff.js';
import { signatureHeader, verifySignature } from '../../src/events/webhook-signature.js';
import { configIssues } from '../support/config-issues.js';

const SECRET = 'a-webhook-secret-of-at-least-32-bytes!!';
const dir = mkdtempSync(join(tmpdir(), 'docstore-webhook-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const issuesOf = configIssues;

describe('DOCSTORE_WEBHOOK_* configuration', () => {
  it('is off without URLs, and reads URLs, secret, attempts, timeout and backoff', () => {
    expect(loadConfig({}).webhooks).toBeUndefined();
    const config = loadConfig({
      DOCSTORE_WEBHOOK_URLS: 'https://pm.example/hooks/docstore, http://127.0.0.1:9000/in',
      DOCSTORE_WEBHOOK_SECRET: SECRET,
      DOCSTORE_WEBHOOK_MAX_ATTEMPTS: '5',
      DOCSTORE_WEBHOOK_TIMEOUT_SECONDS: '2.5',
    });
    expect(config.webhooks).toEqual({
      urls: ['https://pm.example/hooks/docstore', 'http://127.0.0.1:9000/in'],
      secret: Buffer.from(SECRET),
      maxAttempts: 5,
      timeoutSeconds: 2.5,
      backoffSeconds: 10,
      backoffMaxSeconds: 3600,
      keepDays: 30,
    });
    expect(JSON.stringify(describeConfig(config))).not.toContain(SECRET);
    const withPassword = loadConfig({ DOCSTORE_WEBHOOK_URLS: 'https://docstore:hunter2@pm.example/hooks', DOCSTORE_WEBHOOK_SECRET: SECRET });
    expect(withPassword.webhooks?.urls).toEqual(['https://docstore:hunter2@pm.example/hooks']);
    expect(describeConfig(withPassword).webhooks).toMatchObject({ urls: ['https://docstore:***@pm.example/hooks'], secret: '***' });
  });

  it('reads the secret from DOCSTORE_WEBHOOK_SECRET_FILE, trimmed', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, `${SECRET}\n`);
    expect(loadConfig({ DOCSTORE_WEBHOOK_URLS: 'https://pm.example/h', DOCSTORE_WEBHOOK_SECRET_FILE: file }).webhooks?.secret).toEqual(Buffer.from(SECRET));
  });

  it('names each problem: a URL that is not http(s), a URL twice, no secret, a short one, both secrets, an unreadable file, backoff over its maximum', () => {
    expect(issuesOf({ DOCSTORE_WEBHOOK_URLS: 'https://a.example/h,ftp://b.example/h,not a url', DOCSTORE_WEBHOOK_SECRET: SECRET })).toEqual([
      { variable: 'DOCSTORE_WEBHOOK_URLS', message: '"ftp://b.example/h" is not an http:// or https:// URL (the list is comma-separated)' },
      { variable: 'DOCSTORE_WEBHOOK_URLS', message: '"not a url" is not an http:// or https:// URL (the list is comma-separated)' },
    ]);
    expect(issuesOf({ DOCSTORE_WEBHOOK_URLS: 'https://a.example/h,https://a.example/h', DOCSTORE_WEBHOOK_SECRET: SECRET })).toEqual([{ variable: 'DOCSTORE_WEBHOOK_URLS', message: 'lists a URL twice' }]);
    expect(issuesOf({ DOCSTORE_WEBHOOK_URLS: 'https://a.example/h' })).toEqual([
      { variable: 'DOCSTORE_WEBHOOK_SECRET', message: 'is required when DOCSTORE_WEBHOOK_URLS is set (or DOCSTORE_WEBHOOK_SECRET_FILE): deliveries are signed with it' },
    ]);
    expect(issuesOf({ DOCSTORE_WEBHOOK_URLS: 'https://a.example/h', DOCSTORE_WEBHOOK_SECRET: 'short' })).toEqual([
      { variable: 'DOCSTORE_WEBHOOK_SECRET', message: 'must be at least 32 bytes (e.g. openssl rand -hex 32)' },
    ]);
    expect(issuesOf({ DOCSTORE_WEBHOOK_URLS: 'https://a.example/h', DOCSTORE_WEBHOOK_SECRET: SECRET, DOCSTORE_WEBHOOK_SECRET_FILE: '/x' })).toEqual([
      { variable: 'DOCSTORE_WEBHOOK_SECRET_FILE', message: 'cannot be combined with DOCSTORE_WEBHOOK_SECRET: set one' },
    ]);
    expect(issuesOf({ DOCSTORE_WEBHOOK_URLS: 'https://a.example/h', DOCSTORE_WEBHOOK_SECRET_FILE: join(dir, 'absent') })).toEqual([
      { variable: 'DOCSTORE_WEBHOOK_SECRET_FILE', message: `cannot read ${join(dir, 'absent')}: ENOENT` },
    ]);
    expect(issuesOf({ DOCSTORE_WEBHOOK_BACKOFF_SECONDS: '120', DOCSTORE_WEBHOOK_BACKOFF_MAX_SECONDS: '60' })).toEqual([
      { variable: 'DOCSTORE_WEBHOOK_BACKOFF_SECONDS', message: 'must not exceed DOCSTORE_WEBHOOK_BACKOFF_MAX_SECONDS (60)' },
    ]);
    expect(issuesOf({ DOCSTORE_WEBHOOK_MAX_ATTEMPTS: '0' }).map((issue) => issue.variable)).toEqual(['DOCSTORE_WEBHOOK_MAX_ATTEMPTS']);
  });
});

describe('the signature (t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">)', () => {
  const secret = Buffer.from(SECRET);
  const body = '{"id":"e-1","type":"document.created"}';

  it('verifies the body it signed, within the tolerance, and nothing else', () => {
    const header = signatureHeader(secret, 1_800_000_000, body);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, header, body, 1_800_000_100)).toBe(true);
    expect(verifySignature(secret, header, `${body} `, 1_800_000_100)).toBe(false);
    expect(verifySignature(Buffer.from(`${SECRET}x`), header, body, 1_800_000_100)).toBe(false);
    expect(verifySignature(secret, header, body, 1_800_000_301)).toBe(false);
    expect(verifySignature(secret, header.replace('t=1800000000', 't=1800000001'), body, 1_800_000_000)).toBe(false);
    expect(verifySignature(secret, 'garbage', body, 1_800_000_000)).toBe(false);
  });
});

describe('the backoff', () => {
  it('doubles from the base up to the maximum, between half and all of it', () => {
    expect([1, 2, 3, 4, 10].map((attempt) => backoffMs(attempt, 1000, 5000, () => 1))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect([1, 2, 3, 4, 10].map((attempt) => backoffMs(attempt, 1000, 5000, () => 0))).toEqual([500, 1000, 2000, 2500, 2500]);
  });
});
