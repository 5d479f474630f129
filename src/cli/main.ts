import { Command } from 'commander';
import { describeConfig, loadConfig, type DocstoreConfig } from '../config.js';
import { createObjectStorage } from '../storage/create-object-storage.js';
import { EXIT, reportError } from './cli-errors.js';
import { storageSelfCheck } from './storage-self-check.js';

const program = new Command()
  .name('docstore')
  .description('Documents of Belgian co-ownerships: storage, API and operations.')
  .showHelpAfterError()
  .exitOverride();

program
  .command('serve')
  .description('Check the configured storage and start the service (the documents API arrives with its own issue).')
  .action(async () => {
    const config = loadConfig();
    const { storage, prepare } = await createObjectStorage(config.storage, wiringOf(config));
    await prepare();
    const report = await storageSelfCheck(storage);
    process.stdout.write(
      `docstore: storage ${report.backend} ready (put ${report.putMs.toFixed(1)} ms, get ${report.getMs.toFixed(1)} ms, delete ${report.deleteMs.toFixed(1)} ms)\n`,
    );
  });

const storageCommand = program.command('storage').description('Inspect the configured storage.');

storageCommand
  .command('check')
  .description('Tell apart an unreachable endpoint, bad credentials, a missing bucket and missing permissions; then write, read and delete a probe object.')
  .option('--json', 'print a machine-readable report')
  .action(async (options: { json?: boolean }) => {
    const config = loadConfig();
    const { storage, prepare } = await createObjectStorage(config.storage, wiringOf(config));
    await prepare();
    const report = await storageSelfCheck(storage);
    process.stdout.write(options.json === true ? `${JSON.stringify({ ok: true, ...report })}\n` : `storage ${report.backend}: ok\n`);
  });

program
  .command('config')
  .description('Print the validated configuration, secrets masked.')
  .action(() => {
    process.stdout.write(`${JSON.stringify(describeConfig(loadConfig()), null, 2)}\n`);
  });

function wiringOf(config: DocstoreConfig) {
  return {
    publicBaseUrl: config.http.publicBaseUrl,
    dataDir: config.dataDir,
    ...(config.signingSecret === undefined ? {} : { signingSecret: config.signingSecret }),
  };
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') process.exit(EXIT.ok);
  if (typeof code === 'string' && code.startsWith('commander.')) process.exit(EXIT.usage);
  process.exit(reportError(error));
}
