#!/usr/bin/env node
// Runs the compiled CLI from dist/ (`npm run build`, which `npm ci` runs through the `prepare` script).
import { existsSync } from 'node:fs';

// The AWS SDK warns on first use that its future releases need Node 22; docstore pins its SDK
// version, so the warning says nothing an operator can act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`docstore: ${main.pathname} is missing: run \`npm run build\` (or \`npm ci\`, which builds it) in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(2);
}
await import(main.href);
