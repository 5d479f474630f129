import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { ensureConsoleBuilt } from '../../src/http/console/console-build.js';
import { buildDist } from './dist-build.js';
import { S3_TEST_VARIABLES, type S3TestTarget } from './s3-target.js';

const run = promisify(execFile);
// One set of services per test run, so that concurrent runs on one machine never share or wipe them.
const serviceEnv = {
  ...process.env,
  DOCSTORE_S3_STATE_DIR: process.env.DOCSTORE_S3_STATE_DIR ?? join(tmpdir(), `docstore-rgw-${process.pid}`),
  DOCSTORE_PG_STATE_DIR: process.env.DOCSTORE_PG_STATE_DIR ?? join(tmpdir(), `docstore-pg-${process.pid}`),
};
const script = new URL('../../scripts/services/s3.sh', import.meta.url).pathname;
const postgresScript = new URL('../../scripts/services/postgres.sh', import.meta.url).pathname;

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestTarget;
    /** A PostgreSQL server URL whose user may create databases (one per test file). */
    postgresAdminUrl: string;
  }
}

/**
 * Starts the services the suite needs, unless the environment points at existing ones:
 * S3 is a throwaway Ceph RGW (scripts/services/s3.sh), or any S3 endpoint given by S3_TEST_ENDPOINT;
 * PostgreSQL a throwaway cluster (scripts/services/postgres.sh), or PG_TEST_ADMIN_URL. Both start in parallel.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.S3_TEST_ENDPOINT;
  let stop: (() => Promise<void>) | undefined;
  let stopPostgres: (() => Promise<void>) | undefined;
  let variables: Record<string, string>;
  let postgresAdminUrl = process.env.PG_TEST_ADMIN_URL ?? '';
  const postgres =
    postgresAdminUrl === ''
      ? run('bash', [postgresScript, 'start'], { maxBuffer: 1 << 20, timeout: 600_000, env: serviceEnv }).then((started) => {
          postgresAdminUrl = parseEnv(started.stdout).PG_TEST_ADMIN_URL ?? '';
          stopPostgres = async () => {
            await run('bash', [postgresScript, 'stop'], { timeout: 60_000, env: serviceEnv });
          };
        })
      : Promise.resolve();
  if (given !== undefined && given !== '') {
    variables = Object.fromEntries(S3_TEST_VARIABLES.map((name) => [name, process.env[name] ?? '']));
  } else {
    const started = await run('bash', [script, 'start'], { maxBuffer: 1 << 20, timeout: 600_000, env: serviceEnv });
    variables = parseEnv(started.stdout);
    stop = async () => {
      await run('bash', [script, 'stop'], { timeout: 60_000, env: serviceEnv });
    };
  }
  // The server and CLI (dist/, what bin/docstore.js runs) and the web console (dist/web), up to date
  // for every test that spawns the CLI or serves the console.
  await Promise.all([buildDist(), ensureConsoleBuilt()]);
  await postgres;
  if (postgresAdminUrl === '') throw new Error('PG_TEST_ADMIN_URL is not set (from scripts/services/postgres.sh or the environment)');
  project.provide('postgresAdminUrl', postgresAdminUrl);
  project.provide('s3', {
    endpoint: required(variables, 'S3_TEST_ENDPOINT'),
    region: variables.S3_TEST_REGION || 'us-east-1',
    accessKeyId: required(variables, 'S3_TEST_ACCESS_KEY'),
    secretAccessKey: required(variables, 'S3_TEST_SECRET_KEY'),
    bucket: required(variables, 'S3_TEST_BUCKET'),
    forcePathStyle: (variables.S3_TEST_PATH_STYLE ?? 'true') !== 'false',
    ownServer: stop !== undefined,
    ...(variables.S3_TEST_OTHER_ACCESS_KEY ? { otherAccessKeyId: variables.S3_TEST_OTHER_ACCESS_KEY } : {}),
    ...(variables.S3_TEST_OTHER_SECRET_KEY ? { otherSecretAccessKey: variables.S3_TEST_OTHER_SECRET_KEY } : {}),
  });
  return async () => {
    await Promise.all([stop?.(), stopPostgres?.()]);
  };
}

function parseEnv(output: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^(?:export\s+)?([A-Z0-9_]+)=['"]?(.*?)['"]?$/.exec(line.trim());
    if (match?.[1] !== undefined) variables[match[1]] = match[2] ?? '';
  }
  return variables;
}

function required(variables: Record<string, string>, name: string): string {
  const value = variables[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set (from scripts/services/s3.sh or the environment)`);
  return value;
}
