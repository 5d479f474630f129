import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** Where the console's sources and build live (the build is what `server.ts` serves). */
export const CONSOLE_SOURCE_DIR = join(ROOT, 'web');
export const CONSOLE_BUILD_DIR = join(ROOT, 'dist', 'web');
/**
 * Server modules the console bundles as they are: `src/shared/`, the only server code it imports
 * (test/shared/shared-imports.unit.test.ts), so a change there changes the console too.
 */
export const CONSOLE_SHARED_SOURCE_DIRS = [join(ROOT, 'src', 'shared')];

export type ConsoleBuildOutcome =
  | { status: 'up-to-date' }
  | { status: 'built'; durationMs: number }
  /** No sources (an image that ships the build only) or no Vite (production dependencies only). */
  | { status: 'skipped'; reason: string };

/**
 * Builds the web console with Vite when its build is missing or older than a source file, its own
 * or one of the server modules it bundles (what `npm run build` runs, and `npm ci` through the
 * `prepare` script; `docstore serve` never builds, it serves dist/web or says how to build it). The build goes to a
 * temporary directory first and replaces the old one by rename, so a concurrent reader or builder
 * never sees half a build.
 */
export async function ensureConsoleBuilt(options: { force?: boolean; sourceDir?: string; sharedSourceDirs?: readonly string[]; buildDir?: string } = {}): Promise<ConsoleBuildOutcome> {
  const sourceDir = options.sourceDir ?? CONSOLE_SOURCE_DIR;
  const buildDir = options.buildDir ?? CONSOLE_BUILD_DIR;
  const ownChange = await newestChange(sourceDir);
  const builtAt = await modifiedAt(join(buildDir, 'index.html'));
  // An image ships the build without its sources.
  if (ownChange === undefined) return builtAt === undefined ? { status: 'skipped', reason: `no console sources in ${sourceDir}` } : { status: 'up-to-date' };
  const sharedChanges = await Promise.all((options.sharedSourceDirs ?? CONSOLE_SHARED_SOURCE_DIRS).map((dir) => newestChange(dir)));
  const sourcesChanged = Math.max(ownChange, ...sharedChanges.map((changed) => changed ?? 0));
  if (options.force !== true && builtAt !== undefined && builtAt >= sourcesChanged) return { status: 'up-to-date' };
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return { status: 'skipped', reason: 'vite is not installed (production dependencies only)' };
  }
  const started = Date.now();
  await mkdir(dirname(buildDir), { recursive: true });
  const staging = await mkdtemp(`${buildDir}.building-`);
  try {
    await vite.build({ configFile: join(sourceDir, 'vite.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir: staging, emptyOutDir: true } });
    // mkdtemp makes the directory 0700: the built console is public, and the service may run as
    // another user than the one that built it (the Docker image does).
    await chmod(staging, 0o755);
    await rm(buildDir, { recursive: true, force: true });
    try {
      await rename(staging, buildDir);
    } catch (error) {
      // Another process put its build there between the two calls: the same sources, keep it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { status: 'built', durationMs: Date.now() - started };
}

async function modifiedAt(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The latest modification time of any file under `dir`, or undefined when `dir` does not exist. */
async function newestChange(dir: string): Promise<number | undefined> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let newest = 0;
  for (const entry of entries) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}
