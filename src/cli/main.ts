import { Command } from 'commander';
// Only what declaring the commands needs loads at start-up: each action imports its own modules
// (`docstore --help` and `docstore token` load neither the AWS SDK, openpgp, Kysely nor Fastify).
import { collect, parseCount, parsePercent, parsePositive } from './cli-arguments.js';
import { helpConfiguration, outputConfiguration } from './cli-help.js';
import { addTokenOptions, tokenRequestOf, type TokenOptionValues } from './token-options.js';
import { registerBackupCommands } from './backup-commands.js';
import { loadCliConfig } from './cli-config.js';
import type { DocstoreService } from '../service.js';
import { EXIT } from './exit-codes.js';
import { registerKeysCommands } from './keys-commands.js';
import type { ObjectEvent } from '../sync/mirror.js';
import type { Difference } from '../sync/verify.js';
import { mintConfiguredToken, registerConsoleCommands } from './console-commands.js';
import { registerScrubCommand } from './scrub-command.js';
import { registerHandoverCommands } from './handover-commands.js';
import { registerIndexCommands } from './index-commands.js';
import { registerEventsCommands } from './events-commands.js';
import { registerAuditCommands } from './audit-commands.js';

const program = new Command()
  .name('docstore')
  .description('Documents of Belgian co-ownerships: storage, API and operations.')
  .configureHelp(helpConfiguration)
  .configureOutput(outputConfiguration)
  .showHelpAfterError()
  .exitOverride();

program
  .command('serve')
  .description('Serve the documents API (migrates the database and checks the storage first).')
  .action(async () => {
    const config = await loadCliConfig();
    const { serve } = await import('./serve-command.js');
    await serve(config);
  });

program
  .command('migrate')
  .description('Bring the metadata database to the latest schema.')
  .action(async () => {
    const config = await loadCliConfig();
    const { openDatabase } = await import('../db/database.js');
    const { migrateToLatest } = await import('../db/migrate.js');
    const { db } = openDatabase(config.database);
    try {
      const applied = await migrateToLatest(db);
      process.stdout.write(applied.length === 0 ? 'database already up to date\n' : `applied: ${applied.join(', ')}\n`);
    } finally {
      await db.destroy();
    }
  });

addTokenOptions(program.command('token').description('Mint a token signed with the configured secret (development and scripts).')).action(
  async (options: TokenOptionValues, command: Command) => {
    const config = await loadCliConfig();
    const token = await mintConfiguredToken(config, await tokenRequestOf(command, options));
    process.stdout.write(`${token}\n`);
  },
);

program
  .command('purge')
  .description('Remove documents in the trash for longer than DOCSTORE_TRASH_DAYS (object first, then row); documents under retention or legal hold stay.')
  .action(async () => {
    await withService(async (service) => {
      const { purged, kept } = await service.documents.purgeReport();
      process.stdout.write(`purged ${purged} document(s)${kept > 0 ? `, kept ${kept} under retention or legal hold` : ''}\n`);
    });
  });

program
  .command('reconcile')
  .description('Report objects without rows and rows without objects; --fix removes orphans (older than an hour) and marks rows broken.')
  .option('--fix', 'repair what is found')
  .option('--json', 'machine-readable report')
  .action(async (options: { fix?: boolean; json?: boolean }) => {
    await withService(async (service) => {
      const report = await service.documents.reconcile({ fix: options.fix === true });
      if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        process.stdout.write(`orphan objects: ${report.orphanObjects.length}\nrows without objects: ${report.missingObjects.length}\nfixed: ${report.fixed}\n`);
        for (const key of report.orphanObjects) process.stdout.write(`  orphan  ${key}\n`);
        for (const key of report.protectedObjects) process.stdout.write(`  kept    ${key} (retention or legal hold)\n`);
        for (const key of report.missingObjects) process.stdout.write(`  missing ${key}\n`);
      }
      // Like verify: what was found is a mismatch (3), not a failure of the command (1).
      if (!options.fix && report.orphanObjects.length + report.missingObjects.length > 0) process.exitCode = EXIT.verificationMismatch;
    });
  });

registerConsoleCommands(program);
registerScrubCommand(program, withService);
registerHandoverCommands(program, withService);
registerIndexCommands(program, withService);
registerEventsCommands(program, withService);
registerAuditCommands(program, withService);

program
  .command('mirror')
  .description('Copy what is missing or different from SOURCE to DESTINATION, verified by SHA-256 (locations: current, file:///dir, s3://NAME@bucket/prefix).')
  .argument('<source>')
  .argument('<destination>')
  .option('--dry-run', 'print the plan, change nothing')
  .option('--delete', 'remove destination objects absent from the source (after both listings completed)')
  .option('--max-delete <n>', 'most deletions allowed with --delete', parseCount, 0)
  .option('--concurrency <n>', 'objects copied at once (at least 1)', parsePositive, 8)
  .option('--checkers <n>', 'objects compared at once (at least 1)', parsePositive, 8)
  .option('--bwlimit <rate>', 'bandwidth limit, bytes per second (512K, 10M)')
  .option('--include <prefix>', 'only keys starting with this (repeatable)', collect)
  .option('--exclude <prefix>', 'skip keys starting with this (repeatable)', collect)
  .option('--json', 'print a machine-readable summary on stdout')
  .action(async (sourceText: string, destinationText: string, options: MirrorCliOptions) => {
    const config = await loadCliConfig();
    const [{ assertDistinctLocations, openLocation, parseLocation }, { mirror }, { BandwidthLimiter, parseByteRate }, { SyncProgress, formatBytes }] = await Promise.all([
      import('../sync/sync-location.js'),
      import('../sync/mirror.js'),
      import('../sync/bandwidth-limiter.js'),
      import('./sync-progress.js'),
    ]);
    const [sourceSpec, destinationSpec] = [parseLocation(sourceText), parseLocation(destinationText)];
    await assertDistinctLocations(sourceSpec, destinationSpec, config);
    // A dry run opens both sides read-only: it creates no directory, temporary folder or secret.
    const readOnly = { readOnly: options.dryRun === true };
    const [source, destination] = await Promise.all([
      openLocation(sourceSpec, config, 'source', process.env, readOnly),
      openLocation(destinationSpec, config, 'destination', process.env, readOnly),
    ]);
    const progress = new SyncProgress(options.dryRun === true ? 'plan' : 'mirror', { tty: process.stderr.isTTY === true, quiet: options.json === true });
    progress.start();
    const onEvent = (event: ObjectEvent) => {
      progress.onEvent(event);
      const shown = options.dryRun === true ? event.action !== 'skip' : event.action === 'keep';
      if (shown && options.json !== true) progress.line(`${event.action} ${event.key}${event.reason ? ` (${event.reason})` : ''}`);
    };
    // --delete never removes an object of a document under retention or legal hold (docs/retention.md).
    const guard = options.delete === true ? await (await import('./retention-guard.js')).openRetentionGuard(config) : undefined;
    try {
      const summary = await mirror(
        source.storage,
        destination.storage,
        {
          dryRun: options.dryRun === true,
          delete: options.delete === true,
          maxDelete: options.maxDelete,
          concurrency: options.concurrency,
          checkers: options.checkers,
          ...(options.bwlimit === undefined ? {} : { limiter: new BandwidthLimiter(parseByteRate(options.bwlimit)) }),
          include: options.include ?? [],
          exclude: options.exclude ?? [],
          ...(guard === undefined ? {} : { keep: (keys: readonly string[]) => guard.protectedKeys(keys) }),
        },
        onEvent,
      );
      progress.stop();
      const report = { source: source.label, destination: destination.label, ...summary };
      if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        process.stdout.write(
          `${summary.dryRun ? 'would copy' : 'copied'} ${summary.copied} (${formatBytes(summary.bytesCopied)}), skipped ${summary.skipped}, ${summary.dryRun ? 'would delete' : 'deleted'} ${summary.deleted}${summary.kept > 0 ? `, kept ${summary.kept} (retention or legal hold)` : ''}, failed ${summary.failed} in ${(summary.durationMs / 1000).toFixed(1)} s\n`,
        );
      }
      process.exitCode = summary.mismatched > 0 ? EXIT.verificationMismatch : summary.failed > 0 ? EXIT.failed : EXIT.ok;
    } finally {
      progress.stop();
      await Promise.all([source.close(), destination.close(), guard?.close()]);
    }
  });

program
  .command('verify')
  .description('Report objects missing, extra or different between SOURCE and DESTINATION (by size and stored SHA-256; --download re-hashes the bytes).')
  .argument('<source>')
  .argument('<destination>')
  .option('--download', 're-hash the bytes on both sides')
  .option('--sample <percent>', 'with --download: the share of objects to re-hash, e.g. 10%', parsePercent)
  .option('--concurrency <n>', 'objects in flight (at least 1)', parsePositive, 8)
  .option('--include <prefix>', 'only keys starting with this (repeatable)', collect)
  .option('--exclude <prefix>', 'skip keys starting with this (repeatable)', collect)
  .option('--json', 'print a machine-readable summary on stdout')
  .action(async (sourceText: string, destinationText: string, options: VerifyCliOptions) => {
    const config = await loadCliConfig();
    const [{ assertDistinctLocations, openLocation, parseLocation }, { verify }] = await Promise.all([import('../sync/sync-location.js'), import('../sync/verify.js')]);
    const [sourceSpec, destinationSpec] = [parseLocation(sourceText), parseLocation(destinationText)];
    // One place compared with itself would always verify.
    await assertDistinctLocations(sourceSpec, destinationSpec, config);
    // verify only reads: neither side is created or cleaned.
    const readOnly = { readOnly: true };
    const [source, destination] = await Promise.all([
      openLocation(sourceSpec, config, 'source', process.env, readOnly),
      openLocation(destinationSpec, config, 'destination', process.env, readOnly),
    ]);
    const differences: Difference[] = [];
    try {
      const summary = await verify(
        source.storage,
        destination.storage,
        {
          download: options.download === true,
          ...(options.sample === undefined ? {} : { samplePercent: options.sample }),
          concurrency: options.concurrency,
          include: options.include ?? [],
          exclude: options.exclude ?? [],
        },
        (difference) => {
          if (differences.length < 10_000) differences.push(difference);
          if (options.json !== true) process.stdout.write(`${describeDifference(difference)}\n`);
        },
      );
      if (options.json === true) process.stdout.write(`${JSON.stringify({ source: source.label, destination: destination.label, ...summary, differences })}\n`);
      else {
        process.stdout.write(
          `checked ${summary.checked} (${summary.downloaded} re-hashed): ${summary.missing} missing, ${summary.extra} extra, ${summary.different} different, ${summary.errors} errors\n`,
        );
      }
      process.exitCode = summary.errors > 0 ? EXIT.failed : summary.missing + summary.extra + summary.different > 0 ? EXIT.verificationMismatch : EXIT.ok;
    } finally {
      await Promise.all([source.close(), destination.close()]);
    }
  });

interface MirrorCliOptions {
  dryRun?: boolean;
  delete?: boolean;
  maxDelete: number;
  concurrency: number;
  checkers: number;
  bwlimit?: string;
  include?: string[];
  exclude?: string[];
  json?: boolean;
}

interface VerifyCliOptions {
  download?: boolean;
  sample?: number;
  concurrency: number;
  include?: string[];
  exclude?: string[];
  json?: boolean;
}

function describeDifference(difference: Difference): string {
  switch (difference.kind) {
    case 'missing':
      return `missing   ${difference.key}`;
    case 'extra':
      return `extra     ${difference.key}`;
    case 'different':
      return `different ${difference.key} (${difference.by}: ${difference.detail})`;
    case 'error':
      return `error     ${difference.key} (${difference.code}: ${difference.message})`;
  }
}

registerBackupCommands(program);

registerKeysCommands(program);

const storageCommand = program.command('storage').description('Inspect the configured storage.');

storageCommand
  .command('check')
  .description('Tell apart an unreachable endpoint, bad credentials, a missing bucket and missing permissions; then write, read and delete a probe object.')
  .option('--json', 'print a machine-readable report')
  .action(async (options: { json?: boolean }) => {
    const config = await loadCliConfig();
    const [{ createObjectStorage, storageWiringOf }, { storageSelfCheck }] = await Promise.all([import('../storage/create-object-storage.js'), import('./storage-self-check.js')]);
    const { storage, prepare } = await createObjectStorage(config.storage, storageWiringOf(config));
    await prepare();
    const report = await storageSelfCheck(storage);
    process.stdout.write(options.json === true ? `${JSON.stringify({ ok: true, ...report })}\n` : `storage ${report.backend}: ok\n`);
  });

program
  .command('config')
  .description('Print the validated configuration, secrets masked.')
  .action(async () => {
    const [{ loadConfig: load }, { describeConfig }] = await Promise.all([import('../config.js'), import('../config/describe-config.js')]);
    process.stdout.write(`${JSON.stringify(describeConfig(load()), null, 2)}\n`);
  });

/** Runs a maintenance command on the core: storage, database and documents, without HTTP or the console. */
async function withService(work: (service: DocstoreService) => Promise<void>): Promise<void> {
  const config = await loadCliConfig();
  // The database and storage stack loads only for the commands that need it (start-up of the others stays short).
  const { createDocstoreService } = await import('../service.js');
  const service = await createDocstoreService(config);
  try {
    await work(service);
  } finally {
    await service.close();
  }
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') process.exit(EXIT.ok);
  if (typeof code === 'string' && code.startsWith('commander.')) process.exit(EXIT.usage);
  const { reportError } = await import('./cli-errors.js');
  process.exit(reportError(error));
}
