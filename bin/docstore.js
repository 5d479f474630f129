#!/usr/bin/env node
// Runs the compiled CLI from dist/ (`npm run build`, which `npm ci` runs through the `prepare` script).
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node keeps the compiled code of the modules it loads on disk (under os.tmpdir(), or where
// NODE_COMPILE_CACHE says) and later starts skip compiling them again; when the directory cannot
// be written, Node goes on without it.
module.enableCompileCache?.();

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`docstore: ${main.pathname} is missing: run \`npm run build\` (or \`npm ci\`, which builds it) in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(2);
}
await import(main.href);
