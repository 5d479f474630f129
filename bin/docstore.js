#!/usr/bin/env node
// Runs the compiled CLI from dist/ (`npm run build`, which `npm ci` runs through the `prepare` script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`docstore: ${main.pathname} is missing: run \`npm run build\` (or \`npm ci\`, which builds it) in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(2);
}
await import(main.href);
