import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/storage/s3/s3-client.js';

/** What the benchmarks share: tools from Debian, the project's RGW, a concurrency helper. */

const s3Script = new URL('../../scripts/services/s3.sh', import.meta.url).pathname;

export function has(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/** Installs Debian's `pkg` when `binary` is missing (as root; otherwise says how). */
export function ensureDebianPackage(binary: string, pkg: string): void {
  if (has(binary)) return;
  if (process.getuid?.() !== 0) throw new Error(`${binary} is missing: install it as root (apt-get install --no-install-recommends ${pkg})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = execFileSync('apt-cache', ['policy', pkg], { env, encoding: 'utf8' });
  if (!/Candidate: [^(]/.test(policy)) execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  console.error(`installing ${pkg}`);
  execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', pkg], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!has(binary)) throw new Error(`${binary} still missing after installing ${pkg}`);
}

/**
 * The RGW of scripts/services/s3.sh in a state directory of this benchmark run (or the S3_TEST_*
 * endpoint already set); `stop` may be called more than once.
 */
export function s3Environment(benchmark: string): { env: Record<string, string>; stop: () => void } {
  if (process.env.S3_TEST_ENDPOINT) return { env: process.env as Record<string, string>, stop: () => undefined };
  const scriptEnv = { ...process.env, DOCSTORE_S3_STATE_DIR: join(tmpdir(), `docstore-bench-${benchmark}-rgw-${process.pid}`) };
  const output = execFileSync('bash', [s3Script, 'start'], { env: scriptEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1] as string] = match[2] as string;
  }
  let stopped = false;
  return {
    env,
    stop: () => {
      if (stopped) return;
      stopped = true;
      execFileSync('bash', [s3Script, 'stop'], { env: scriptEnv, stdio: 'inherit' });
    },
  };
}

/** Runs `work(0 … count-1)`, at most `concurrency` at once. */
export async function eachConcurrently(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) await work(index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** The S3 client and settings of the S3_TEST_* variables `s3Environment` returns. */
export function s3TargetOf(env: Record<string, string>): { client: S3Client; endpoint: string; region: string; forcePathStyle: boolean } {
  const endpoint = env.S3_TEST_ENDPOINT as string;
  const region = env.S3_TEST_REGION || 'us-east-1';
  const forcePathStyle = env.S3_TEST_PATH_STYLE !== 'false';
  const client = createS3Client({ endpoint, region, accessKeyId: env.S3_TEST_ACCESS_KEY as string, secretAccessKey: env.S3_TEST_SECRET_KEY as string, forcePathStyle });
  return { client, endpoint, region, forcePathStyle };
}
