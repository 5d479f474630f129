import type { Command } from 'commander';
import type { EncryptionConfig } from '../storage/storage-config.js';
import type { DocstoreConfig } from '../config.js';
import type { EncryptingObjectStorage } from '../storage/encryption/encrypting-object-storage.js';
import type { KeyWalkEvent, WalkSummary } from '../storage/encryption/master-key-maintenance.js';
import { EXIT } from './exit-codes.js';
import { parsePositive } from './cli-arguments.js';
import { loadCliConfig } from './cli-config.js';

interface WalkCliOptions {
  prefix?: string;
  concurrency: number;
  json?: boolean;
}

/**
 * `docstore keys status|rotate|encrypt-existing`: master-key and format maintenance of the configured,
 * encrypted storage. Exit codes: 0 done, 1 some objects failed (or, for status, use a key that is
 * not configured), 2 usage or configuration (no DOCSTORE_MASTER_KEYS).
 */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('Master keys of client-side encryption (DOCSTORE_MASTER_KEYS).');

  withWalkOptions(keys.command('status').description('Count objects per master key id, and those still in plaintext; name the keys that can be retired.')).action(
    async (options: WalkCliOptions) => {
      await withEncryptedStorage(async (storage, encryption) => {
        const { keyStatus } = await import('../storage/encryption/master-key-maintenance.js');
        const ids = encryption.keys.map((key) => key.id);
        const status = await keyStatus(storage, ids, encryption.activeId, walkOptions(options));
        if (options.json === true) process.stdout.write(`${JSON.stringify({ activeKeyId: encryption.activeId, ...status })}\n`);
        else {
          process.stdout.write(`${status.objects} objects (active key: ${encryption.activeId})\n`);
          for (const [id, count] of Object.entries(status.byKeyId)) {
            process.stdout.write(`  ${id.padEnd(24)} ${String(count).padStart(8)}${ids.includes(id) ? '' : '  NOT CONFIGURED: these objects cannot be read'}\n`);
          }
          process.stdout.write(`  ${'(plaintext)'.padEnd(24)} ${String(status.plaintext).padStart(8)}${status.plaintext > 0 ? '  run: docstore keys encrypt-existing' : ''}\n`);
          if (status.earlierFormat > 0) process.stdout.write(`${status.earlierFormat} encrypted objects of an earlier format (file name and type in clear at the backend): run: docstore keys rotate\n`);
          if (status.retirable.length > 0) process.stdout.write(`no object uses ${status.retirable.join(', ')}: can be removed from DOCSTORE_MASTER_KEYS\n`);
          if (status.failed > 0) process.stdout.write(`${status.failed} objects could not be examined\n`);
        }
        process.exitCode = status.missing.length > 0 || status.failed > 0 ? EXIT.failed : EXIT.ok;
      });
    },
  );

  withWalkOptions(
    keys
      .command('rotate')
      .description(
        'Re-wrap every data key under the active master key (content is not re-encrypted), and convert objects of an earlier encryption format (re-encrypted, verified by SHA-256). Resumable: objects already current are skipped.',
      ),
  ).action(async (options: WalkCliOptions) => {
    await withEncryptedStorage(async (storage, { activeId }, config) => {
      const { rotateMasterKey } = await import('../storage/encryption/master-key-maintenance.js');
      const summary = await rotateMasterKey(storage, walkOptions(options));
      await recordWalk(config, 'keys rotate', 'keys.rotate', summary, options, activeId);
      report(summary, options);
    });
  });

  withWalkOptions(
    keys.command('encrypt-existing').description('Encrypt, in place, every object written before encryption was switched on (verified by SHA-256).'),
  ).action(async (options: WalkCliOptions) => {
    await withEncryptedStorage(async (storage, { activeId }, config) => {
      const { encryptExisting } = await import('../storage/encryption/master-key-maintenance.js');
      const summary = await encryptExisting(storage, walkOptions(options));
      await recordWalk(config, 'keys encrypt-existing', 'keys.encrypt_existing', summary, options, activeId);
      report(summary, options);
    });
  });
}

function withWalkOptions(command: Command): Command {
  return command
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('--concurrency <n>', 'objects in flight (at least 1)', parsePositive, 8)
    .option('--json', 'print a machine-readable summary on stdout');
}

function walkOptions(options: WalkCliOptions) {
  return {
    concurrency: options.concurrency,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    onObject: (event: KeyWalkEvent) => {
      if (options.json === true || event.error === undefined) return;
      process.stderr.write(`failed ${event.key}: ${event.error.code}: ${event.error.message}\n`);
    },
  };
}

function report(summary: WalkSummary, options: WalkCliOptions): void {
  if (options.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const actions = Object.entries(summary.actions).map(([action, count]) => `${count} ${action}`);
    process.stdout.write(`${summary.objects} objects: ${[...actions, `${summary.failed.length} failed`].join(', ')}\n`);
  }
  process.exitCode = summary.failed.length > 0 ? EXIT.failed : EXIT.ok;
}

async function withEncryptedStorage(work: (storage: EncryptingObjectStorage, encryption: EncryptionConfig, config: DocstoreConfig) => Promise<void>): Promise<void> {
  // Loaded when a keys command runs, not at the CLI's start-up.
  const config = await loadCliConfig();
  const [{ ConfigError }, { createObjectStorage, storageWiringOf }] = await Promise.all([import('../config.js'), import('../storage/create-object-storage.js')]);
  if (config.encryption === undefined) {
    throw new ConfigError([{ variable: 'DOCSTORE_MASTER_KEYS', message: 'is required by docstore keys (client-side encryption is off)' }]);
  }
  const { encryption, prepare } = await createObjectStorage(config.storage, storageWiringOf(config));
  await prepare();
  await work(encryption as EncryptingObjectStorage, config.encryption, config);
}

/** Records a key walk on the instance's audit chain (before its report: a walk that cannot be recorded fails). */
async function recordWalk(config: DocstoreConfig, command: string, action: 'keys.rotate' | 'keys.encrypt_existing', summary: WalkSummary, options: WalkCliOptions, activeKeyId: string): Promise<void> {
  const { recordOperatorActionIn } = await import('./operator-audit.js');
  await recordOperatorActionIn(config, command, action, {
    activeKeyId,
    objects: summary.objects,
    actions: summary.actions,
    failed: summary.failed.length,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  });
}

