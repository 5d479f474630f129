import { builtinModules } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SHARED_DIR = new URL('../../src/shared/', import.meta.url).pathname;
const SRC_DIR = new URL('../../src/', import.meta.url).pathname;
const WEB_DIR = new URL('../../web/src/', import.meta.url).pathname;

/** Every module specifier a TypeScript file names: static imports and re-exports, side-effect imports, dynamic imports. */
function specifiersOf(source: string): string[] {
  const patterns = [/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] ?? ''));
}

async function sourceFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((name) => /\.tsx?$/.test(name)).map((name) => join(dir, name));
}

/** Why the console could not bundle this import of a shared module, or undefined when it can. */
function refusal(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0] ?? '')) return 'a Node built-in';
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(file, '..', specifier);
  return relative(SHARED_DIR, target).startsWith('..') ? `outside src/shared (${relative(join(SHARED_DIR, '..'), target)})` : undefined;
}

describe('src/shared, the modules the web console bundles', () => {
  it('imports no Node built-in and nothing from another src/ folder', async () => {
    const files = await sourceFiles(SHARED_DIR);
    expect(files.length).toBeGreaterThan(0);
    const found: string[] = [];
    const refused: string[] = [];
    for (const file of files) {
      for (const specifier of specifiersOf(await readFile(file, 'utf8'))) {
        found.push(specifier);
        const why = refusal(file, specifier);
        if (why !== undefined) refused.push(`${relative(SHARED_DIR, file)}: ${specifier} is ${why}`);
      }
    }
    // The scan sees imports at all (content detection uses file-type).
    expect(found).toContain('file-type');
    expect(refused).toEqual([]);
  });

  it('the check refuses what the console could not bundle', () => {
    const file = join(SHARED_DIR, 'example.ts');
    expect(specifiersOf(`import { a } from 'node:fs';\nexport { b } from '../documents/x.js';\nconst c = await import('./y.js');\nimport 'z';`)).toEqual(['node:fs', '../documents/x.js', 'z', './y.js']);
    expect(refusal(file, 'node:fs')).toBe('a Node built-in');
    expect(refusal(file, 'crypto')).toBe('a Node built-in');
    expect(refusal(file, '../documents/document.js')).toBe('outside src/shared (documents/document.js)');
    expect(refusal(file, './file-name.js')).toBeUndefined();
    expect(refusal(file, 'file-type')).toBeUndefined();
  });
});

describe('the web console', () => {
  it('imports server code from src/shared only, types included', async () => {
    const intoSrc: string[] = [];
    for (const file of await sourceFiles(WEB_DIR)) {
      for (const specifier of specifiersOf(await readFile(file, 'utf8'))) {
        const target = resolve(file, '..', specifier);
        if (specifier.startsWith('.') && !relative(SRC_DIR, target).startsWith('..')) intoSrc.push(relative(SRC_DIR, target));
      }
    }
    // The scan sees the console's imports of server code (its upload check runs content detection).
    expect(intoSrc).toContain('shared/content-detection.js');
    expect(intoSrc.filter((target) => !target.startsWith('shared/'))).toEqual([]);
  });
});
