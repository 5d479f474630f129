import { Option, type Command } from 'commander';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { DocstoreConfig } from '../config.js';
import { BackupError } from '../backup/backup-errors.js';
import type { BackupRepository } from '../backup/repository/backup-repository.js';
import type { PrivateKey, PublicKey } from '../backup/format/openpgp-codec.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { SyncLocation } from '../sync/sync-location.js';
import { collect, failWithUsageProblems, parseCount, parsePercent, parsePositive, uuidProblems } from './cli-arguments.js';
import { loadCliConfig } from './cli-config.js';
import { EXIT } from './exit-codes.js';
import { SyncProgress, formatBytes } from './sync-progress.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `docstore backup …`: encrypted, incremental snapshots of the documents and the database (docs/backup-restore.md).
 * Each action imports the modules it uses (openpgp, the storage adapters), so that other commands do not load them.
 */
export function registerBackupCommands(program: Command): void {
  const backup = program.command('backup').description('Encrypted, incremental backups of documents and metadata (see docs/backup-restore.md).');
  const repoOption = () => new Option('--repo <location>', 'the repository: file:///dir or s3://NAME@bucket/prefix (default: DOCSTORE_BACKUP_REPOSITORY)');
  const passphraseOption = () => new Option('--passphrase-file <file>', "file holding the private key's passphrase (default: DOCSTORE_BACKUP_PASSPHRASE)");

  backup
    .command('keygen')
    .description('Create an OpenPGP key pair for backups: the public key goes on the server, the private key stays offline.')
    .requiredOption('--name <name>', 'who holds the key, e.g. "Syndic Dupont backups"')
    .option('--email <email>', 'contact e-mail in the key')
    .option('--out-dir <dir>', 'where to write the two files', '.')
    .addOption(passphraseOption())
    .action(async (options: { name: string; email?: string; outDir: string; passphraseFile?: string }) => {
      const config = await loadCliConfig();
      const passphrase = await passphraseOf(options, config);
      if (passphrase === undefined) throw BackupError.usage('the private key needs a passphrase: --passphrase-file FILE or DOCSTORE_BACKUP_PASSPHRASE');
      const { generateKey } = await import('../backup/format/openpgp-codec.js');
      const key = await generateKey({ name: options.name, ...(options.email === undefined ? {} : { email: options.email }) }, passphrase);
      const base = join(options.outDir, `docstore-backup-${key.fingerprint.slice(-16)}`);
      await writeFile(`${base}.pub.asc`, key.publicKey, { mode: 0o644, flag: 'wx' });
      await writeFile(`${base}.key.asc`, key.privateKey, { mode: 0o600, flag: 'wx' });
      out(`fingerprint: ${key.fingerprint}`);
      out(`public key:  ${base}.pub.asc   -> give it to \`docstore backup init --recipient\` on the server`);
      out(`private key: ${base}.key.asc   -> move it OFF this machine (USB key in a safe, a notary), with its passphrase`);
      out('');
      out('READ THIS: the private key and its passphrase are the only way to read the backups. If both copies');
      out('are lost, every backup made to this key is unreadable, forever: nobody, not docstore, can recover it.');
      out('Keep two copies in two places, write the passphrase down apart from them, and test a restore now.');
    });

  backup
    .command('init')
    .description('Create a repository encrypted to the given public keys (several: e.g. the office and a notary).')
    .argument('<repository>', 'file:///dir or s3://NAME@bucket/prefix')
    .requiredOption('--recipient <file>', 'an armored public key file (repeatable)', collect)
    .action(async (location: string, options: { recipient: string[] }) => {
      const config = await loadCliConfig();
      const recipients = await readRecipients(options.recipient);
      const { initRepository } = await import('../backup/backup-setup.js');
      await withLocation(location, config, async (opened) => {
        const { repository, statePath } = await initRepository(opened.storage, recipients, config.dataDir);
        out(`created repository ${repository.config.id} at ${opened.label}, encrypted to ${repository.config.recipients.join(', ')}`);
        out(`this server's naming key and pinned recipients: ${statePath} (mode 0600; back up with the server, or re-create with \`backup attach\`)`);
      }, true);
    });

  backup
    .command('attach')
    .description("Let this server back up to an existing repository (a rebuilt server): needs a private key once, to recover the repository's naming key.")
    .argument('<repository>', 'file:///dir or s3://NAME@bucket/prefix')
    .requiredOption('--identity <file>', 'an armored private key of the repository')
    .requiredOption('--recipient <file>', "the repository's public keys, all of them (repeatable)", collect)
    .addOption(passphraseOption())
    .action(async (location: string, options: { identity: string; recipient: string[]; passphraseFile?: string }) => {
      const config = await loadCliConfig();
      const identity = await readIdentity(options, config);
      const recipients = await readRecipients(options.recipient);
      const { attachRepository } = await import('../backup/backup-setup.js');
      await withLocation(location, config, async (opened) => {
        const { repository, statePath } = await attachRepository(opened.storage, [identity], recipients, config.dataDir);
        out(`attached to repository ${repository.config.id}; state in ${statePath}`);
      });
    });

  backup
    .command('run')
    .description('Take a snapshot of every document object (the trash included) and of the metadata database; only new content is uploaded.')
    .addOption(repoOption())
    .option('--concurrency <n>', 'objects encrypted and uploaded at once', parsePositive, 4)
    .option('--textfile <path>', "also write the last success time for node-exporter's textfile collector")
    .option('--json', 'print a machine-readable summary on stdout')
    .action(async (options: { repo?: string; concurrency: number; textfile?: string; json?: boolean }) => {
      const config = await loadCliConfig();
      const [{ runBackup }, { attachmentFor }, { recordSuccess, textfileMetrics, writeTextAtomically }] = await Promise.all([
        import('../backup/backup-run.js'),
        import('../backup/backup-setup.js'),
        import('../backup/repository/backup-state.js'),
      ]);
      await withRepository(options.repo, config, async (repository) => {
        const attachment = await attachmentFor(repository, config.dataDir);
        await withStorageAndDatabase(config, 'backup', options.json === true, async ({ storage, db, progress }) => {
          const summary = await runBackup({
            repository,
            attachment,
            storage,
            db,
            database: config.database,
            docstoreVersion: await docstoreVersion(),
            concurrency: options.concurrency,
            // The snapshot carries a fresh signed checkpoint of every audit chain (docs/audit.md#verifying-the-trail).
            checkpointAudit: async () => {
              const [{ AuditCheckpointer }, { AuditSealer }, { CheckpointKey }] = await Promise.all([
                import('../audit/evidence/audit-checkpointer.js'),
                import('../audit/audit-sealer.js'),
                import('../audit/evidence/checkpoint-key.js'),
              ]);
              return new AuditCheckpointer(db, new AuditSealer(db), () => CheckpointKey.loadOrCreate(config.audit.checkpointKeyFile)).checkpoint();
            },
            onStart: () => progress.start(),
            onObject: (event) =>
              progress.onEvent({
                key: event.key,
                action: event.action === 'upload' ? 'copy' : 'skip',
                bytes: event.uploadedBytes,
                ...(event.error === undefined ? {} : { error: event.error }),
              }),
          });
          progress.stop();
          const status = await recordSuccess(config.dataDir, { ...summary, finishedAt: new Date(), repositoryId: repository.config.id });
          if (options.textfile !== undefined) await writeTextAtomically(options.textfile, textfileMetrics(status));
          if (options.json === true) out(JSON.stringify({ repository: repository.config.id, ...summary }));
          else {
            out(
              `snapshot ${summary.snapshotId}: ${summary.objects} objects (${formatBytes(summary.bytes)}), ${summary.uploaded} uploaded, ${summary.reused} already in the repository, ${formatBytes(summary.uploadedBytes)} sent in ${(summary.durationMs / 1000).toFixed(1)} s`,
            );
          }
        });
      });
    });

  backup
    .command('list')
    .description('List the snapshots, oldest first (no private key needed).')
    .addOption(repoOption())
    .option('--json', 'machine-readable')
    .action(async (options: { repo?: string; json?: boolean }) => {
      const config = await loadCliConfig();
      await withRepository(options.repo, config, async (repository) => {
        const snapshots = (await repository.snapshots()).map((snapshot) => ({
          id: snapshot.id,
          time: snapshot.time,
          blobs: snapshot.blobs.length,
          bytes: snapshot.blobs.reduce((total, [, size]) => total + size, 0),
        }));
        if (options.json === true) out(JSON.stringify({ repository: repository.config.id, snapshots }));
        else {
          out(`repository ${repository.config.id}: ${snapshots.length} snapshot(s)`);
          for (const snapshot of snapshots) out(`${snapshot.id}  ${snapshot.time}  ${snapshot.blobs} blobs  ${formatBytes(snapshot.bytes)}`);
        }
      });
    });

  backup
    .command('forget')
    .description('Remove snapshots the policy does not keep (each rule keeps the newest snapshot of its last N periods, UTC); --prune then deletes data no snapshot references.')
    .addOption(repoOption())
    .option('--keep-last <n>', 'the N newest snapshots', parseCount)
    .option('--keep-daily <n>', 'one per day, for the last N days with snapshots', parseCount)
    .option('--keep-weekly <n>', 'one per ISO week, for the last N weeks', parseCount)
    .option('--keep-monthly <n>', 'one per month, for the last N months', parseCount)
    .option('--prune', 'delete the blobs no remaining snapshot references')
    .option('--dry-run', 'print what would go, change nothing')
    .option('--json', 'machine-readable')
    .action(async (options: { repo?: string; keepLast?: number; keepDaily?: number; keepWeekly?: number; keepMonthly?: number; prune?: boolean; dryRun?: boolean; json?: boolean }) => {
      const config = await loadCliConfig();
      const { forgetSnapshots } = await import('../backup/backup-retention.js');
      await withRepository(options.repo, config, async (repository) => {
        // Never the last copy of a document under retention or legal hold (docs/retention.md).
        const protectedBlobs = await protectedBlobsOf(repository, config);
        const result = await forgetSnapshots(
          repository,
          {
            ...(options.keepLast === undefined ? {} : { keepLast: options.keepLast }),
            ...(options.keepDaily === undefined ? {} : { keepDaily: options.keepDaily }),
            ...(options.keepWeekly === undefined ? {} : { keepWeekly: options.keepWeekly }),
            ...(options.keepMonthly === undefined ? {} : { keepMonthly: options.keepMonthly }),
          },
          { prune: options.prune === true, dryRun: options.dryRun === true, protectedBlobs },
        );
        if (options.json === true) {
          out(JSON.stringify({ dryRun: result.dryRun, kept: result.keep.map((item) => ({ id: item.snapshot.id, time: item.snapshot.time, reasons: item.reasons })), removed: result.removed.map((snapshot) => snapshot.id), pruned: result.pruned }));
          return;
        }
        for (const item of result.keep) out(`keep    ${item.snapshot.id}  ${item.snapshot.time}  (${item.reasons.join(', ')})`);
        for (const snapshot of result.removed) out(`${result.dryRun ? 'would remove' : 'remove'}  ${snapshot.id}  ${snapshot.time}`);
        if (result.pruned !== undefined) out(`${result.dryRun ? 'would prune' : 'pruned'} ${result.pruned.blobs} blob(s), ${formatBytes(result.pruned.bytes)}${result.pruned.failed > 0 ? `, ${result.pruned.failed} failed` : ''}`);
        if ((result.pruned?.failed ?? 0) > 0) process.exitCode = EXIT.failed;
      });
    });

  backup
    .command('verify')
    .description('Check that every snapshot is complete (no private key needed); --read-data also downloads and hashes every blob, and with --identity decrypts documents and compares their SHA-256 with the manifest.')
    .addOption(repoOption())
    .option('--read-data', 'download the blobs: hash the ciphertext; with --identity, decrypt and check each document')
    .option('--identity <file>', 'an armored private key of the repository')
    .option('--sample <percent>', 'with --read-data: the share of documents to read, e.g. 10%', parsePercent)
    .addOption(passphraseOption())
    .option('--json', 'machine-readable')
    .action(async (options: { repo?: string; readData?: boolean; identity?: string; sample?: number; passphraseFile?: string; json?: boolean }) => {
      const config = await loadCliConfig();
      const identity = options.identity === undefined ? undefined : await readIdentity({ identity: options.identity, ...(options.passphraseFile === undefined ? {} : { passphraseFile: options.passphraseFile }) }, config);
      const { verifyRepository } = await import('../backup/backup-verify.js');
      await withRepository(options.repo, config, async (repository) => {
        const summary = await verifyRepository({
          repository,
          ...(identity === undefined ? {} : { keys: [identity] }),
          readData: options.readData === true,
          ...(options.sample === undefined ? {} : { samplePercent: options.sample }),
          onProblem: (problem) => {
            if (options.json !== true) out(`${problem.code}  snapshot ${problem.snapshotId}${problem.blob === undefined ? '' : ` blob ${problem.blob}`}: ${problem.message}`);
          },
        });
        if (options.json === true) out(JSON.stringify({ repository: repository.config.id, ...summary }));
        else out(`checked ${summary.snapshots} snapshot(s), ${summary.blobs} blob(s), ${summary.read} read${identity === undefined ? '' : ' and decrypted'}: ${summary.problems.length} problem(s)`);
        if (summary.problems.length > 0) process.exitCode = EXIT.verificationMismatch;
      });
    });

  backup
    .command('restore')
    .description('Restore a snapshot into an empty storage and database (the configured ones), or only some documents or buildings.')
    .addOption(repoOption())
    .option('--snapshot <id>', 'a snapshot id (or unique prefix), or latest', 'latest')
    .requiredOption('--identity <file>', 'an armored private key of the repository')
    .addOption(passphraseOption())
    .option('--document <id>', 'only this document (repeatable)', collect)
    .option('--building <id>', "only this building's documents (repeatable)", collect)
    .option('--force', 'overwrite what the target already holds')
    .option('--concurrency <n>', 'objects restored at once', parsePositive, 4)
    .option('--json', 'machine-readable')
    .action(
      async (
        options: { repo?: string; snapshot: string; identity: string; passphraseFile?: string; document?: string[]; building?: string[]; force?: boolean; concurrency: number; json?: boolean },
        command: Command,
      ) => {
        const problems = [...uuidProblems('--document', options.document), ...uuidProblems('--building', options.building)];
        if (problems.length > 0) failWithUsageProblems(command, problems);
        const config = await loadCliConfig();
        const identity = await readIdentity(options, config);
        const { restoreSnapshot } = await import('../backup/backup-restore.js');
        await withRepository(options.repo, config, async (repository) => {
          const snapshot = await repository.findSnapshot(options.snapshot);
          await withStorageAndDatabase(config, 'restore', options.json === true, async ({ storage, db, progress }) => {
            const summary = await restoreSnapshot({
              repository,
              snapshot,
              keys: [identity],
              storage,
              db,
              force: options.force === true,
              documentIds: options.document ?? [],
              buildingIds: options.building ?? [],
              concurrency: options.concurrency,
              onStart: () => progress.start(),
              onObject: (event) => progress.onEvent({ key: event.key, action: 'copy', bytes: event.bytes, ...(event.error === undefined ? {} : { error: event.error }) }),
            });
            progress.stop();
            // Recorded on the instance's chain of the restored database, after the trail the snapshot brought back.
            const { recordOperatorAction } = await import('./operator-audit.js');
            await recordOperatorAction(db, 'backup restore', 'backup.restore', {
              snapshotId: summary.snapshotId,
              objects: summary.objects,
              bytes: summary.bytes,
              buildings: summary.buildings,
              documents: summary.documents,
              failures: summary.failures.length,
              ...(options.document === undefined ? {} : { documentIds: options.document }),
              ...(options.building === undefined ? {} : { buildingIds: options.building }),
              force: options.force === true,
            });
            if (options.json === true) out(JSON.stringify(summary));
            else {
              out(`restored snapshot ${summary.snapshotId}: ${summary.objects} objects (${formatBytes(summary.bytes)}), ${summary.buildings} buildings, ${summary.documents} documents`);
              for (const failure of summary.failures) out(`FAILED ${failure.documentId === undefined ? '' : `document ${failure.documentId} `}(${failure.key}): ${failure.code}: ${failure.message}`);
              if (summary.failures.length > 0) out(`${summary.failures.length} document(s) could not be restored; they are marked broken (see docs/backup-restore.md)`);
            }
            if (summary.failures.length > 0) process.exitCode = EXIT.verificationMismatch;
          });
        });
      },
    );
}

/** Opens a repository's location; only `init` may create a directory (`create`), so that a mistyped path is an error. */
async function withLocation(text: string, config: DocstoreConfig, work: (location: SyncLocation) => Promise<void>, create = false): Promise<void> {
  if (text === 'current') throw BackupError.usage('a backup repository cannot be the documents storage itself: give file:///dir or s3://NAME@bucket/prefix');
  if (!create && text.startsWith('file://') && !(await isDirectory(text))) {
    throw BackupError.repositoryNotFound(text, 'the directory does not exist');
  }
  const { openLocation } = await import('../sync/sync-location.js');
  const location = await openLocation(text, config, 'destination');
  try {
    await work(location);
  } finally {
    await location.close();
  }
}

/** The configured storage (with its decorators) and database, and a progress display (started by the run itself), for `run` and `restore`. */
async function withStorageAndDatabase(
  config: DocstoreConfig,
  verb: string,
  quiet: boolean,
  work: (opened: { storage: ObjectStorage; db: Kysely<Database>; progress: SyncProgress }) => Promise<void>,
): Promise<void> {
  const [{ openDatabase }, { createObjectStorage, storageWiringOf }] = await Promise.all([import('../db/database.js'), import('../storage/create-object-storage.js')]);
  const { storage, prepare } = await createObjectStorage(config.storage, storageWiringOf(config));
  await prepare();
  const { db } = openDatabase(config.database);
  const progress = new SyncProgress(verb, { tty: process.stderr.isTTY === true, quiet });
  try {
    await work({ storage, db, progress });
  } finally {
    progress.stop();
    await db.destroy();
  }
}

/**
 * The repository's blob names of the contents of every document under retention or legal hold in
 * the configured docstore, with why. Blob names are keyed hashes: the repository must be attached
 * to this server (its naming key) whenever such documents exist.
 */
async function protectedBlobsOf(repository: BackupRepository, config: DocstoreConfig): Promise<Map<string, string>> {
  const { openRetentionGuard } = await import('./retention-guard.js');
  const guard = await openRetentionGuard(config);
  try {
    const contents = await guard.protectedSha256s();
    if (contents.size === 0) return new Map();
    const [{ loadAttachment }, { blobName }] = await Promise.all([import('../backup/repository/backup-state.js'), import('../backup/format/backup-manifest.js')]);
    const namingKey = Buffer.from((await loadAttachment(config.dataDir, repository.config.id)).namingKey, 'base64');
    return new Map([...contents].map(([sha256, why]) => [blobName(namingKey, sha256), why]));
  } finally {
    await guard.close();
  }
}

/** Opens the repository at `text` (else DOCSTORE_BACKUP_REPOSITORY) for `work`; `docstore audit verify --backup` uses it too. */
export async function withRepository(text: string | undefined, config: DocstoreConfig, work: (repository: BackupRepository) => Promise<void>): Promise<void> {
  const location = text ?? config.backup.repository;
  if (location === undefined) throw BackupError.usage('which repository? give --repo LOCATION or set DOCSTORE_BACKUP_REPOSITORY');
  const { BackupRepository } = await import('../backup/repository/backup-repository.js');
  await withLocation(location, config, async (opened) => work(await BackupRepository.open(opened.storage, opened.label)));
}

async function isDirectory(url: string): Promise<boolean> {
  // A malformed URL is left to openLocation, which explains the accepted forms.
  if (!URL.canParse(url)) return true;
  try {
    return (await stat(fileURLToPath(url))).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    if (code === 'ERR_INVALID_FILE_URL_HOST' || code === 'ERR_INVALID_FILE_URL_PATH') return true;
    throw error;
  }
}

async function readRecipients(files: readonly string[]): Promise<PublicKey[]> {
  const { readPublicKeys } = await import('../backup/format/openpgp-codec.js');
  const keys: PublicKey[] = [];
  for (const file of files) keys.push(...(await readPublicKeys(await readKeyFile(file), file)));
  return keys;
}

/** The armored private key at `options.identity`, unlocked with the passphrase file or DOCSTORE_BACKUP_PASSPHRASE. */
export async function readIdentity(options: { identity: string; passphraseFile?: string }, config: DocstoreConfig): Promise<PrivateKey> {
  const { readPrivateKey } = await import('../backup/format/openpgp-codec.js');
  return readPrivateKey(await readKeyFile(options.identity), await passphraseOf(options, config), options.identity);
}

async function passphraseOf(options: { passphraseFile?: string }, config: DocstoreConfig): Promise<string | undefined> {
  if (options.passphraseFile !== undefined) return (await readKeyFile(options.passphraseFile)).replace(/\r?\n$/, '');
  return config.backup.passphrase;
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new BackupError('backup.key_invalid', `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

async function docstoreVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
