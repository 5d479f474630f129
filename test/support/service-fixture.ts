import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { mintToken } from '../../src/auth/jwt-verifier.js';
import type { Role } from '../../src/shared/principal.js';
import { loadConfig, type DocstoreConfig } from '../../src/config.js';
import { createService, type Service } from '../../src/http/server.js';
import { freePort } from './free-port.js';
import { clientFor, testBucket } from './s3-target.js';

export const JWT_SECRET = 'docstore-test-jwt-secret-0123456789abcdef';

export interface ServiceFixture {
  name: string;
  service: Service;
  config: DocstoreConfig;
  /** Base URL when listening (`listen: true`). */
  baseUrl?: string;
  token(role: Role, options?: { org?: string; sub?: string; buildings?: string[]; ttlSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** Extra environment (MAX_UPLOAD_BYTES, DOCSTORE_TRASH_DAYS, …). */
  env?: Record<string, string>;
  /** Listen on a free 127.0.0.1 port (signed links and real-socket tests need it). */
  listen?: boolean;
  /** Share storage and database with another fixture (scale-out tests). */
  shareWith?: ServiceFixture;
  /** The service's clock (retention dates, trash cut-offs): tests move it instead of sleeping. */
  now?: () => Date;
}

export type FixtureFactory = (options?: FixtureOptions) => Promise<ServiceFixture>;

export const ORG_A = '0190a000-0000-7000-8000-00000000000a';
export const ORG_B = '0190a000-0000-7000-8000-00000000000b';

async function start(name: string, env: Record<string, string>, options: FixtureOptions, cleanup: () => Promise<void>): Promise<ServiceFixture> {
  const port = options.listen === true ? await freePort() : 8080;
  const config = loadConfig({
    DOCSTORE_JWT_SECRET: JWT_SECRET,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...env,
    ...options.env,
  });
  const service = await createService(config, { logger: false, ...(options.now === undefined ? {} : { now: options.now }) });
  let baseUrl: string | undefined;
  if (options.listen === true) baseUrl = await service.app.listen({ host: '127.0.0.1', port });
  return {
    name,
    service,
    config,
    ...(baseUrl === undefined ? {} : { baseUrl }),
    token: (role, tokenOptions = {}) =>
      mintToken(Buffer.from(JWT_SECRET), {
        sub: tokenOptions.sub ?? `user-${role}`,
        org: tokenOptions.org ?? ORG_A,
        role,
        buildings: tokenOptions.buildings ?? [],
        ttlSeconds: tokenOptions.ttlSeconds ?? 600,
      }),
    close: async () => {
      await service.close();
      await cleanup();
    },
  };
}

/** The embedded default: local disk and SQLite in a fresh temporary directory. */
export const localSqliteService: FixtureFactory = async (options = {}) => {
  if (options.shareWith !== undefined) {
    return start('local + SQLite', { DATA_DIR: options.shareWith.config.dataDir }, options, async () => {});
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'docstore-service-'));
  return start('local + SQLite', { DATA_DIR: dataDir }, options, () => rm(dataDir, { recursive: true, force: true }));
};

/** S3 on the test RGW (a fresh bucket) and PostgreSQL (a fresh database). */
export const s3PostgresService: FixtureFactory = async (options = {}) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'docstore-service-'));
  let bucket: string;
  let databaseUrl: string;
  if (options.shareWith !== undefined) {
    const shared = options.shareWith.config;
    bucket = shared.storage.backend === 's3' ? shared.storage.bucket : '';
    databaseUrl = shared.database.dialect === 'postgres' ? shared.database.url : '';
  } else {
    const target = inject('s3');
    const client = clientFor(target);
    bucket = await testBucket(target, client);
    client.destroy();
    databaseUrl = await createTestDatabase();
  }
  const target = inject('s3');
  return start(
    'S3 (RGW) + PostgreSQL',
    {
      DATA_DIR: dataDir,
      STORAGE_BACKEND: 's3',
      S3_ENDPOINT: target.endpoint,
      S3_PUBLIC_ENDPOINT: target.endpoint.replace('127.0.0.1', 'localhost'),
      S3_BUCKET: bucket,
      S3_REGION: target.region,
      S3_ACCESS_KEY: target.accessKeyId,
      S3_SECRET_KEY: target.secretAccessKey,
      S3_USE_PATH_STYLE: String(target.forcePathStyle),
      DATABASE_URL: databaseUrl,
    },
    options,
    () => rm(dataDir, { recursive: true, force: true }),
  );
};

export const SERVICE_PAIRS: Array<[string, FixtureFactory]> = [
  ['local + SQLite', localSqliteService],
  ['S3 (RGW) + PostgreSQL', s3PostgresService],
];

/** A fresh, empty database on the test PostgreSQL server; returns its URL. */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `docstore_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
