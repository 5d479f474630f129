import { execFile } from 'node:child_process';
import type { DocstoreConfig } from '../../src/config.js';
import { s3EnvironmentOf, type S3TestTarget } from './s3-target.js';
import { DOCSTORE_BIN } from './serve-process.js';

/** What a `docstore` command did. */
export interface CliOutcome {
  /** The exit code (0 on success). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Limits of one command run. */
export interface CliRunOptions {
  /** Kills the command after this long. @default no limit */
  timeoutMs?: number;
  /** Most bytes of stdout or stderr kept. @default 1 MiB */
  maxBufferBytes?: number;
}

/**
 * Runs `docstore <args>` (this checkout's {@link DOCSTORE_BIN}) as a child process with `env`,
 * resolving with its exit code and output whatever the code: a failing command does not reject.
 * Rejects only when the command cannot run at all or is killed (timeout, output over the limit).
 */
export function runDocstore(args: readonly string[], env: NodeJS.ProcessEnv, options: CliRunOptions = {}): Promise<CliOutcome> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [DOCSTORE_BIN, ...args],
      { env, timeout: options.timeoutMs ?? 0, maxBuffer: options.maxBufferBytes ?? 1 << 20 },
      (error, stdout, stderr) => {
        if (error === null) resolve({ code: 0, stdout, stderr });
        else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
        else reject(error);
      },
    );
  });
}

const MAIN_SOURCE = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** `docstore <args>` from the sources (tsx), as `npm run docstore` runs it before a build; resolves whatever the exit code. */
export function runDocstoreSources(args: readonly string[], env: Record<string, string>): Promise<CliOutcome> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN_SOURCE, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
      if (error === null) resolve({ code: 0, stdout, stderr });
      else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
      else reject(error);
    });
  });
}

/**
 * The environment an operator's `docstore` command needs to work on a fixture's data: its data
 * directory, its bucket (under `keyPrefix`) on `s3` when it has one, its PostgreSQL database.
 */
export function operatorEnvironment(config: DocstoreConfig, s3: S3TestTarget, keyPrefix = ''): Record<string, string> {
  return {
    DATA_DIR: config.dataDir,
    LOG_LEVEL: 'silent',
    ...(config.storage.backend === 's3' ? s3EnvironmentOf(s3, config.storage.bucket, keyPrefix) : {}),
    ...(config.database.dialect === 'postgres' ? { DATABASE_URL: config.database.url } : {}),
  };
}
