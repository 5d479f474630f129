import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { describeConfig } from '../src/config/describe-config.js';

function issuesOf(env: Record<string, string>): Array<{ variable: string; message: string }> {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults to the embedded local storage under ./data', () => {
    const config = loadConfig({});
    expect(config.storage).toEqual({ backend: 'local', path: './data/objects' });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080, publicBaseUrl: 'http://127.0.0.1:8080', timeouts: { headersSeconds: 30, requestSeconds: 1800 }, corsOrigins: [] });
    expect(config.uploads).toEqual({ idleTimeoutSeconds: 60, maxInFlight: 32, maxInFlightPerSubject: 8 });
  });

  it('reads the upload limits and request timeouts, and refuses a headers timeout longer than the request timeout', () => {
    const config = loadConfig({ UPLOAD_IDLE_TIMEOUT_SECONDS: '5', MAX_UPLOADS_IN_FLIGHT: '3', MAX_UPLOADS_IN_FLIGHT_PER_SUBJECT: '2', HEADERS_TIMEOUT_SECONDS: '10', REQUEST_TIMEOUT_SECONDS: '600' });
    expect(config.uploads).toEqual({ idleTimeoutSeconds: 5, maxInFlight: 3, maxInFlightPerSubject: 2 });
    expect(config.http.timeouts).toEqual({ headersSeconds: 10, requestSeconds: 600 });
    expect(issuesOf({ UPLOAD_IDLE_TIMEOUT_SECONDS: '0', MAX_UPLOADS_IN_FLIGHT: 'many', HEADERS_TIMEOUT_SECONDS: '1.5' }).map((issue) => issue.variable).sort()).toEqual([
      'HEADERS_TIMEOUT_SECONDS',
      'MAX_UPLOADS_IN_FLIGHT',
      'UPLOAD_IDLE_TIMEOUT_SECONDS',
    ]);
    expect(issuesOf({ HEADERS_TIMEOUT_SECONDS: '120', REQUEST_TIMEOUT_SECONDS: '60' })).toEqual([
      { variable: 'HEADERS_TIMEOUT_SECONDS', message: 'must not exceed REQUEST_TIMEOUT_SECONDS (60)' },
    ]);
  });

  it('reads an S3 configuration', () => {
    const config = loadConfig({
      STORAGE_BACKEND: 's3',
      S3_ENDPOINT: 'http://minio:9000/',
      S3_PUBLIC_ENDPOINT: 'https://files.example.be',
      S3_BUCKET: 'docstore',
      S3_ACCESS_KEY: 'access',
      S3_SECRET_KEY: 'secret',
      S3_USE_PATH_STYLE: 'true',
      S3_KEY_PREFIX: 'prod/',
      S3_CREATE_BUCKET: 'false',
    });
    expect(config.storage).toEqual({
      backend: 's3',
      endpoint: 'http://minio:9000',
      publicEndpoint: 'https://files.example.be',
      bucket: 'docstore',
      region: 'us-east-1',
      accessKeyId: 'access',
      secretAccessKey: 'secret',
      forcePathStyle: true,
      keyPrefix: 'prod/',
      createBucket: false,
      connectTimeoutSeconds: 5,
      idleTimeoutSeconds: 30,
    });
    const described = JSON.stringify(describeConfig(config));
    expect(described).toContain('"secretAccessKey":"***"');
    expect(described).not.toContain('"secretAccessKey":"secret"');
  });

  it('reports every invalid or missing variable at once, by name', () => {
    const issues = issuesOf({ STORAGE_BACKEND: 's3', S3_USE_PATH_STYLE: 'maybe', PORT: 'eighty', S3_ENDPOINT: 'minio:9000' });
    expect(issues.map((issue) => issue.variable).sort()).toEqual(
      ['PORT', 'S3_ACCESS_KEY', 'S3_BUCKET', 'S3_ENDPOINT', 'S3_SECRET_KEY', 'S3_USE_PATH_STYLE'].sort(),
    );
    expect(issues.find((issue) => issue.variable === 'S3_USE_PATH_STYLE')?.message).toBe('must be true or false');
    expect(issues.find((issue) => issue.variable === 'S3_BUCKET')?.message).toBe('is required when STORAGE_BACKEND=s3');
  });

  it('rejects an unknown backend, a bad bucket name and a short signing secret', () => {
    expect(issuesOf({ STORAGE_BACKEND: 'ftp' }).map((issue) => issue.variable)).toEqual(['STORAGE_BACKEND']);
    expect(
      issuesOf({ STORAGE_BACKEND: 's3', S3_BUCKET: 'Bad_Bucket', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b' }).map((issue) => issue.variable),
    ).toEqual(['S3_BUCKET']);
    expect(issuesOf({ DOCSTORE_SIGNING_SECRET: 'c2hvcnQ=' }).map((issue) => issue.variable)).toEqual(['DOCSTORE_SIGNING_SECRET']);
  });

  it('formats its message without a stack trace', () => {
    try {
      loadConfig({ S3_USE_PATH_STYLE: 'maybe' });
    } catch (error) {
      expect((error as Error).message).toBe('Invalid configuration:\n  S3_USE_PATH_STYLE: must be true or false');
    }
  });

  it('reads the timeouts of the database, the storage and the readiness check, in seconds', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/docstore',
      DATABASE_CONNECT_TIMEOUT_SECONDS: '2',
      DATABASE_STATEMENT_TIMEOUT_SECONDS: '7',
      HEALTH_CHECK_TIMEOUT_SECONDS: '1',
      STORAGE_BACKEND: 's3',
      S3_BUCKET: 'docstore',
      S3_ACCESS_KEY: 'access',
      S3_SECRET_KEY: 'secret',
      S3_CONNECT_TIMEOUT_SECONDS: '3',
      S3_IDLE_TIMEOUT_SECONDS: '4',
    });
    expect(config.database).toMatchObject({ timeouts: { connectSeconds: 2, statementSeconds: 7 } });
    expect(config.storage).toMatchObject({ connectTimeoutSeconds: 3, idleTimeoutSeconds: 4 });
    expect(config.healthCheckTimeoutSeconds).toBe(1);
    expect(() => loadConfig({ DATABASE_STATEMENT_TIMEOUT_SECONDS: '0', S3_IDLE_TIMEOUT_SECONDS: 'soon' })).toThrow(
      expect.objectContaining({ issues: expect.arrayContaining([expect.objectContaining({ variable: 'DATABASE_STATEMENT_TIMEOUT_SECONDS' }), expect.objectContaining({ variable: 'S3_IDLE_TIMEOUT_SECONDS' })]) }),
    );
  });

  it('reads the service settings and rejects bad ones', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/docstore', MAX_UPLOAD_BYTES: '1000', DOCSTORE_TRASH_DAYS: '7', DOCSTORE_JWT_SECRET: 'x'.repeat(32) });
    expect(config.database).toEqual({ dialect: 'postgres', url: 'postgres://u:p@db:5432/docstore', timeouts: { connectSeconds: 5, statementSeconds: 15 } });
    expect(config).toMatchObject({ maxUploadBytes: 1000, trashDays: 7, jwt: { kind: 'secret' } });
    expect(JSON.stringify(describeConfig(config))).not.toContain(':p@');
    expect(loadConfig({}).database).toEqual({ dialect: 'sqlite', path: './data/docstore.sqlite' });
    expect(
      issuesOf({ DATABASE_URL: 'mysql://x', MAX_UPLOAD_BYTES: '-1', DOCSTORE_JWT_SECRET: 'short', DOCSTORE_ALLOWED_TYPES: 'pdf', LOG_LEVEL: 'loud' })
        .map((issue) => issue.variable)
        .sort(),
    ).toEqual(['DATABASE_URL', 'DOCSTORE_ALLOWED_TYPES', 'DOCSTORE_JWT_SECRET', 'LOG_LEVEL', 'MAX_UPLOAD_BYTES']);
  });

  it('reads how long ready export archives stay (hours, 0 for never) and rejects bad values', () => {
    expect(loadConfig({}).exportExpiryHours).toBe(168);
    expect(loadConfig({ DOCSTORE_EXPORT_EXPIRY_HOURS: '0' }).exportExpiryHours).toBe(0);
    expect(loadConfig({ DOCSTORE_EXPORT_EXPIRY_HOURS: '48' }).exportExpiryHours).toBe(48);
    for (const bad of ['-1', '1.5', 'a week', '8761']) expect(issuesOf({ DOCSTORE_EXPORT_EXPIRY_HOURS: bad }).map((issue) => issue.variable)).toEqual(['DOCSTORE_EXPORT_EXPIRY_HOURS']);
  });

  it('refuses weak settings in production, all at once', () => {
    const weak = {
      NODE_ENV: 'production',
      STORAGE_BACKEND: 's3',
      S3_BUCKET: 'docstore',
      S3_ACCESS_KEY: 'minioadmin',
      S3_SECRET_KEY: 'minioadmin',
      METRICS_HOST: '0.0.0.0',
    };
    expect(issuesOf(weak).map((issue) => issue.variable).sort()).toEqual(['METRICS_TOKEN', 'S3_ACCESS_KEY', 'S3_SECRET_KEY']);
    expect(() => loadConfig({ ...weak, NODE_ENV: 'development' })).not.toThrow();
    expect(() =>
      loadConfig({ ...weak, S3_ACCESS_KEY: 'docstore-app', S3_SECRET_KEY: 'a-long-generated-secret-value', METRICS_TOKEN: 'a-metrics-token-of-length' }),
    ).not.toThrow();
  });

  describe('encryption at rest', () => {
    const S3 = { STORAGE_BACKEND: 's3', S3_BUCKET: 'docstore', S3_ACCESS_KEY: 'access', S3_SECRET_KEY: 'secret' };
    const key = Buffer.alloc(32, 7).toString('base64');
    const other = Buffer.alloc(32, 9).toString('base64');

    it('reads S3_SSE, S3_SSE_KMS_KEY_ID and S3_SSE_C_KEY', () => {
      const s3 = (env: Record<string, string>) => {
        const storage = loadConfig({ ...S3, ...env }).storage;
        return storage.backend === 's3' ? storage.serverSideEncryption : 'not s3';
      };
      expect(s3({})).toBeUndefined();
      expect(s3({ S3_SSE: 'none' })).toBeUndefined();
      expect(s3({ S3_SSE: 'AES256' })).toEqual({ mode: 'AES256' });
      expect(s3({ S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:1:key/abc' })).toEqual({ mode: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/abc' });
      expect(s3({ S3_SSE_C_KEY: key })).toEqual({ mode: 'SSE-C', customerKey: Buffer.alloc(32, 7) });
      const described = JSON.stringify(describeConfig(loadConfig({ ...S3, S3_SSE_C_KEY: key })));
      expect(described).not.toContain(key);
      expect(described).toContain('"customerKey":"***"');
    });

    it('refuses contradictory or malformed server-side encryption settings, by name', () => {
      expect(issuesOf({ ...S3, S3_SSE: 'aes256' })).toEqual([{ variable: 'S3_SSE', message: 'must be none, AES256 or aws:kms (SSE-C: set S3_SSE_C_KEY instead)' }]);
      expect(issuesOf({ ...S3, S3_SSE: 'aws:kms' })).toEqual([{ variable: 'S3_SSE_KMS_KEY_ID', message: 'is required when S3_SSE=aws:kms' }]);
      expect(issuesOf({ ...S3, S3_SSE_KMS_KEY_ID: 'k' })).toEqual([{ variable: 'S3_SSE_KMS_KEY_ID', message: 'applies only with S3_SSE=aws:kms' }]);
      expect(issuesOf({ ...S3, S3_SSE: 'AES256', S3_SSE_C_KEY: key }).map((issue) => issue.variable)).toEqual(['S3_SSE_C_KEY']);
      for (const bad of [Buffer.alloc(16).toString('base64'), Buffer.alloc(33).toString('base64'), 'not base64!', `${key}\n`]) {
        const issues = issuesOf({ ...S3, S3_SSE_C_KEY: bad });
        expect(issues).toEqual([{ variable: 'S3_SSE_C_KEY', message: 'must be base64 of exactly 32 bytes (openssl rand -base64 32)' }]);
        expect(JSON.stringify(issues)).not.toContain(bad);
      }
    });

    it('reads DOCSTORE_MASTER_KEYS: one key is active by itself, several need one marked with *', () => {
      expect(loadConfig({ DOCSTORE_MASTER_KEYS: `2026-11:${key}` }).encryption).toEqual({ keys: [{ id: '2026-11', key: Buffer.alloc(32, 7) }], activeId: '2026-11', allowPlaintext: true });
      expect(loadConfig({ DOCSTORE_MASTER_KEYS: `2026-11:${key}`, DOCSTORE_ALLOW_PLAINTEXT_OBJECTS: 'false' }).encryption?.allowPlaintext).toBe(false);
      expect(loadConfig({ DOCSTORE_MASTER_KEYS: `2026-01:${other}, 2026-11*:${key}` }).encryption?.activeId).toBe('2026-11');
      expect(loadConfig({}).encryption).toBeUndefined();
    });

    it('refuses a malformed DOCSTORE_MASTER_KEYS with a clear message that never quotes a key', () => {
      const cases: Array<[string, string]> = [
        [`a:${key},b:${other}`, 'several keys and none marked active: mark the active id with "*" (for example 2026-11*:…)'],
        [`a*:${key},b*:${other}`, 'more than one active key (a, b): mark exactly one id with "*"'],
        [`a:${key},a*:${other}`, 'the id a appears twice'],
        [`a:${Buffer.alloc(31).toString('base64')}`, 'the key a must be base64 of exactly 32 bytes (openssl rand -base64 32)'],
        [key, 'entry 1 is not of the form id:base64'],
        [`:${key}`, 'entry 1: the id must be 1–64 letters, digits, ".", "_" or "-"'],
        [',', 'must list at least one id:base64 key'],
      ];
      for (const [value, message] of cases) {
        const issues = issuesOf({ DOCSTORE_MASTER_KEYS: value });
        expect(issues).toEqual([{ variable: 'DOCSTORE_MASTER_KEYS', message }]);
        expect(JSON.stringify(issues)).not.toContain(key);
        expect(JSON.stringify(issues)).not.toContain(other);
      }
    });

    it('docstore config shows the key ids, never the keys', () => {
      const described = JSON.stringify(describeConfig(loadConfig({ DOCSTORE_MASTER_KEYS: `old:${other},new*:${key}` })));
      expect(described).toContain('"encryption":{"activeKeyId":"new","keyIds":["old","new"],"allowPlaintext":true}');
      expect(described).not.toContain(key);
      expect(described).not.toContain(other);
      expect(described).not.toContain('"data"');
    });
  });
});
