import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const SCRIPTS = new URL('../../scripts/services/', import.meta.url).pathname;

/**
 * A PostgreSQL cluster or an RGW of this test alone (scripts/services/*.sh with their own state
 * directory and port), which the test may freeze (SIGSTOP), stop and bring back without touching
 * the services every other test shares. Only the pids these scripts recorded are signalled.
 */
export interface ThrowawayService {
  /** Env lines the script printed (PG_TEST_URL, S3_TEST_ENDPOINT, …). */
  env: Record<string, string>;
  /** SIGSTOP every process of the service: it keeps its sockets open and answers nothing. */
  freeze(): void;
  /** SIGCONT every process frozen by `freeze`. */
  thaw(): void;
  /** Stops the server process (as a crash or an operator would); connections are refused. */
  stop(): Promise<void>;
  /** Starts it again, same port and data, and waits until it serves. */
  restart(): Promise<void>;
  /** Thaws and removes everything (afterAll). */
  destroy(): Promise<void>;
}

function parseEnv(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1] as string, match[2] as string]),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitExited(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const state = processState(pid);
    if (!alive(pid) || state === 'Z' || state === undefined) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** The state letter of /proc/PID/stat (R, S, T, Z…), undefined when the process is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Direct children of `pid` (PostgreSQL's backends and auxiliary processes of a postmaster). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

function signal(pids: number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

/** A PostgreSQL cluster of its own (scripts/services/postgres.sh), in a state directory under /tmp. */
export async function startThrowawayPostgres(): Promise<ThrowawayService> {
  // Under /tmp itself: when run as root, the cluster runs as "postgres", which must traverse the path.
  const stateDir = `/tmp/docstore-outage-pg-${randomBytes(4).toString('hex')}`;
  const scriptEnv = { ...process.env, DOCSTORE_PG_STATE_DIR: stateDir, DOCSTORE_PG_PORT: String(await freePort()) };
  const { stdout } = await run('bash', [`${SCRIPTS}postgres.sh`, 'start'], { env: scriptEnv, timeout: 120_000 });
  const env = parseEnv(stdout);
  const dataDir = `${stateDir}/data`;
  const postmaster = () => Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  let frozen: number[] = [];
  const binDir = (await run('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1'])).stdout.trim();
  const asOwner = (args: string[]) => (process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', ...args], { cwd: stateDir, timeout: 60_000 }) : run(args[0] as string, args.slice(1), { cwd: stateDir, timeout: 60_000 }));
  return {
    env,
    freeze() {
      const pid = postmaster();
      // The postmaster first, so that it forks no new backend meanwhile.
      frozen = [pid, ...childrenOf(pid)];
      signal(frozen, 'SIGSTOP');
    },
    thaw() {
      signal(frozen, 'SIGCONT');
      frozen = [];
    },
    async stop() {
      const pid = postmaster();
      // Fast shutdown: sessions are disconnected, the cluster stops cleanly.
      signal([pid], 'SIGINT');
      if (!(await waitExited(pid, 20_000))) throw new Error(`the postmaster ${pid} did not stop`);
    },
    async restart() {
      await asOwner([`${binDir}/pg_ctl`, '-D', dataDir, '-l', `${stateDir}/log/postgres.log`, '-w', '-t', '60', '-s', 'start']);
    },
    async destroy() {
      signal(frozen, 'SIGCONT');
      await run('bash', [`${SCRIPTS}postgres.sh`, 'stop'], { env: scriptEnv, timeout: 120_000 });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A Ceph RGW of its own (scripts/services/s3.sh); freezing, stopping and restarting concern radosgw only. */
export async function startThrowawayRgw(): Promise<ThrowawayService> {
  const stateDir = `/tmp/docstore-outage-rgw-${randomBytes(4).toString('hex')}`;
  const scriptEnv = { ...process.env, DOCSTORE_S3_STATE_DIR: stateDir, DOCSTORE_S3_PORT: String(await freePort()) };
  const { stdout } = await run('bash', [`${SCRIPTS}s3.sh`, 'start'], { env: scriptEnv, timeout: 300_000 });
  const env = parseEnv(stdout);
  const pidFile = `${stateDir}/pids/rgw.pid`;
  const radosgw = () => Number(readFileSync(pidFile, 'utf8').trim());
  let frozen: number[] = [];
  return {
    env,
    freeze() {
      frozen = [radosgw()];
      signal(frozen, 'SIGSTOP');
    },
    thaw() {
      signal(frozen, 'SIGCONT');
      frozen = [];
    },
    async stop() {
      const pid = radosgw();
      signal([pid], 'SIGTERM');
      if (!(await waitExited(pid, 10_000))) {
        signal([pid], 'SIGKILL');
        await waitExited(pid, 5_000);
      }
    },
    async restart() {
      // As s3.sh starts it: in the foreground of its own session (detached), its pid recorded where s3.sh stop looks.
      const child = spawn('radosgw', ['-c', `${stateDir}/ceph.conf`, '-f', '-n', 'client.rgw.docstore'], {
        env: { ...process.env, CEPH_CONF: `${stateDir}/ceph.conf` },
        stdio: 'ignore',
        detached: true,
      });
      child.unref();
      await run('bash', ['-c', `printf '%s\\n' ${child.pid} > ${pidFile}`]);
      const endpoint = env.S3_TEST_ENDPOINT as string;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const answered = await fetch(endpoint, { signal: AbortSignal.timeout(2_000) }).then(
          () => true,
          () => false,
        );
        if (answered) return;
        if (Date.now() > deadline) throw new Error(`radosgw did not come back at ${endpoint}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async destroy() {
      signal(frozen, 'SIGCONT');
      await run('bash', [`${SCRIPTS}s3.sh`, 'stop'], { env: scriptEnv, timeout: 120_000 });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
