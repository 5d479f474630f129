import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDocstore } from '../support/docstore-cli.js';

const ORG = '0190a000-0000-7000-8000-000000000001';

describe('the docstore command: usage errors and help', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'docstore-cli-usage-'));
    env = { ...process.env, DATA_DIR: dataDir };
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  const docstore = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runDocstore(args, { ...env, ...extraEnv });

  it('`token` names every missing or invalid option at once (exit 2) and mints nothing the API would refuse', async () => {
    const refused = await docstore(['token', '--org', 'notauuid', '--role', 'boss', '--building', randomUUID(), '--building', 'lot-12', '--ttl', '5y']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('5 problems');
    expect(refused.stderr).toContain('--sub: missing');
    expect(refused.stderr).toContain('--org: "notauuid" is not a UUID');
    expect(refused.stderr).toContain('--role: "boss" is not one of superadmin, syndic, accountant, board_member, owner');
    expect(refused.stderr).toContain('--building: "lot-12" is not a UUID');
    expect(refused.stderr).toContain('--ttl: "5y"');
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const nothing = await docstore(['token']);
    expect(nothing.code).toBe(2);
    for (const option of ['--sub', '--org', '--role']) expect(nothing.stderr).toContain(`${option}: missing`);
    // `open` checks the same claims.
    const open = await docstore(['open', '--org', 'notauuid', '--building', 'x']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('--org: "notauuid" is not a UUID');
    expect(open.stderr).toContain('--building: "x" is not a UUID');
    const minted = await docstore(['token', '--sub', 'alice', '--org', ORG, '--role', 'owner', '--building', randomUUID()]);
    expect(minted.code, minted.stderr).toBe(0);
    const claims = JSON.parse(Buffer.from(minted.stdout.trim().split('.')[1] as string, 'base64url').toString()) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(3600);
  }, 60_000);

  it("help wraps at the width given by COLUMNS, the command list as the subcommands' options, and shows --ttl's default as 1h", async () => {
    const width = 76;
    for (const args of [['--help'], ['mirror', '--help'], ['token', '--help'], ['open', '--help'], ['backup', 'restore', '--help']]) {
      const help = await docstore(args, { COLUMNS: String(width) });
      expect(help.code).toBe(0);
      const long = help.stdout.split('\n').filter((line) => line.length > width);
      expect(long, `docstore ${args.join(' ')}`).toEqual([]);
    }
    expect((await docstore(['token', '--help'])).stdout).toMatch(/--ttl <duration> .*\n?.*\(default: 1h\)/);
    expect((await docstore(['open', '--help'])).stdout).toMatch(/--ttl <duration> .*\n?.*\(default: 1h\)/);
  }, 60_000);

  it('docs/migration.md documents exactly the options `mirror` and `verify` offer', async () => {
    const doc = await readFile(new URL('../../docs/migration.md', import.meta.url), 'utf8');
    const flags = (text: string) => new Set([...text.matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)].map((match) => match[1] as string));
    for (const command of ['mirror', 'verify']) {
      const help = await docstore([command, '--help']);
      const offered = [...flags(help.stdout)].filter((flag) => flag !== '--help').sort();
      const section = doc.split(`### ${command}\n`)[1]?.split('\n### ')[0] ?? '';
      const synopsis = /```text\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
      expect([...flags(synopsis)].sort(), `the synopsis of ${command}`).toEqual(offered);
      if (command === 'mirror') {
        const table = section.split('\n').filter((line) => line.startsWith('| `--')).map((line) => /^\| `(--[a-z-]+)/.exec(line)?.[1]);
        expect(table.sort(), 'the options table of mirror').toEqual(offered);
      }
    }
  }, 60_000);
});
