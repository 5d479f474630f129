import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVitest, type Vitest } from 'vitest/node';

const root = new URL('..', import.meta.url).pathname;

/** Every `*.test.ts` under test/, as paths relative to the repository. */
async function testFilesOnDisk(): Promise<string[]> {
  const entries = await readdir(join(root, 'test'), { recursive: true });
  return entries
    .filter((entry) => entry.endsWith('.test.ts') && !entry.split('/').includes('node_modules'))
    .map((entry) => `test/${entry}`)
    .sort();
}

describe('vitest projects (vitest.config.ts)', () => {
  let vitest: Vitest;
  let filesByProject: Map<string, string[]>;

  beforeAll(async () => {
    // Only reads the configuration and globs the files: starts no service and runs no test.
    vitest = await createVitest('test', { root, watch: false, config: join(root, 'vitest.config.ts') });
    filesByProject = new Map();
    for (const specification of await vitest.globTestSpecifications()) {
      const name = specification.project.name;
      filesByProject.set(name, [...(filesByProject.get(name) ?? []), relative(root, specification.moduleId)]);
    }
  }, 60_000);
  afterAll(async () => {
    await vitest?.close();
  });

  it('are unit and integration', () => {
    expect([...filesByProject.keys()].sort()).toEqual(['integration', 'unit']);
  });

  it('run every test file under test/ exactly once between them', async () => {
    const listed = [...filesByProject.values()].flat().sort();
    expect(listed).toEqual(await testFilesOnDisk());
  });

  it('put *.unit.test.ts files in unit and only those', () => {
    expect((filesByProject.get('unit') ?? []).every((file) => file.endsWith('.unit.test.ts'))).toBe(true);
    expect((filesByProject.get('integration') ?? []).some((file) => file.endsWith('.unit.test.ts'))).toBe(false);
  });
});
