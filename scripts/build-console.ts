// Builds the web console into dist/web when missing or stale (part of `npm run build`, which `npm ci`
// runs as `prepare`; `npm run build:web` rebuilds it regardless). Without Vite (production dependencies only) it says so
// and succeeds: the image's build stage builds the console instead.
import { ensureConsoleBuilt } from '../src/http/console/console-build.js';

const outcome = await ensureConsoleBuilt({ force: process.argv.includes('--force') });
if (outcome.status === 'built') process.stdout.write(`docstore console: built into dist/web in ${outcome.durationMs} ms\n`);
else if (outcome.status === 'skipped') process.stdout.write(`docstore console: not built (${outcome.reason})\n`);
else process.stdout.write('docstore console: dist/web is up to date\n');
