#!/usr/bin/env node
// Runs the compiled CLI from dist/ (`npm run build`, which `npm ci` runs through the `prepare` script).
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node keeps the compiled code of the modules it loads on disk, and later starts skip compiling
// them again. The cache lives beside the dependencies (node_modules/.cache, where build tools keep
// theirs), never in TMPDIR, which a dry run must leave untouched; NODE_COMPILE_CACHE overrides it.
// Where the directory cannot be written (a read-only image), Node goes on without it.
module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE || new URL('../node_modules/.cache/docstore-compile-cache', import.meta.url).pathname);

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`docstore: ${main.pathname} is missing: run \`npm run build\` (or \`npm ci\`, which builds it) in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(2);
}
await import(main.href);
