import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

type Version = [major: number, minor: number, patch: number];

function parseVersion(text: string): Version {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (match === null) throw new Error(`not a Node.js version: ${text}`);
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function atLeast(version: Version, minimum: Version): boolean {
  for (let i = 0; i < 3; i += 1) if (version[i] !== minimum[i]) return (version[i] as number) > (minimum[i] as number);
  return true;
}

/** package.json's `engines.node`, which this project keeps to one `>=X.Y` bound. */
async function enginesMinimum(): Promise<Version> {
  const engines = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const match = /^>=(\d+\.\d+(?:\.\d+)?)$/.exec(engines);
  if (match === null) throw new Error(`engines.node is not a single >= bound: ${engines}`);
  return parseVersion(match[1] as string);
}

describe('Node.js version', () => {
  it('runs the tests on a Node.js that package.json supports (engines.node), which npm only warns about', async () => {
    expect(atLeast(parseVersion(process.version), await enginesMinimum()), `Node ${process.version}: run \`. scripts/node/use.sh\` (README)`).toBe(true);
  });

  it('spawns the same Node.js as the one running the tests: `node` on PATH (npm scripts, shell scripts) is process.execPath', async () => {
    const { stdout } = await run('node', ['-p', 'process.version']);
    expect(stdout.trim(), `node on PATH is not ${process.execPath}: run \`. scripts/node/use.sh\` (README)`).toBe(process.version);
  });

  it('names the reference (.node-version) in engines and in the README', async () => {
    const reference = parseVersion(await readFile(join(root, '.node-version'), 'utf8'));
    expect(atLeast(reference, await enginesMinimum())).toBe(true);
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(readme).toContain(`Node.js ${reference[0]}`);
  });
});
