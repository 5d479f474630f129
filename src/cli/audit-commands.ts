import type { KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import type { DocstoreService } from '../service.js';
import type { AuditVerifyReport, ChainReport, ExternalCheckpoint } from '../audit/evidence/audit-verifier.js';
import { collect } from './cli-arguments.js';
import { loadCliConfig } from './cli-config.js';
import { EXIT } from './exit-codes.js';

type WithService = (work: (service: DocstoreService) => Promise<void>) => Promise<void>;

interface VerifyOptions {
  organization?: string;
  publicKey?: string[];
  backup?: string;
  identity?: string;
  passphraseFile?: string;
  json?: boolean;
}

/**
 * `docstore audit public-key|checkpoint|verify`: the audit trail's tamper evidence
 * (docs/audit.md#verifying-the-trail). `verify` exits 0 when every chain holds, 3 when one is
 * broken (naming the first broken entry of each), 2 on a usage error, 1 when it could not run.
 */
export function registerAuditCommands(program: Command, withService: WithService): void {
  const audit = program.command('audit').description('The audit trail: its signing key, checkpoints and verification (docs/audit.md).');

  audit
    .command('public-key')
    .description("Print the public key that signs the audit chains' checkpoints (PEM), creating the key pair on first use; give it to whoever verifies.")
    .option('--out <file>', 'write it to this file instead')
    .action(async (options: { out?: string }) => {
      const config = await loadCliConfig();
      const { CheckpointKey } = await import('../audit/evidence/checkpoint-key.js');
      const key = await CheckpointKey.loadOrCreate(config.audit.checkpointKeyFile);
      if (options.out === undefined) process.stdout.write(key.publicKeyPem());
      else {
        await writeFile(options.out, key.publicKeyPem());
        process.stdout.write(`wrote the public key ${key.keyId} to ${options.out}\n`);
      }
      process.stderr.write(`key id ${key.keyId} (${config.audit.checkpointKeyFile})\n`);
    });

  audit
    .command('checkpoint')
    .description('Seal the chains and sign a checkpoint of each head now (serve does it every DOCSTORE_AUDIT_CHECKPOINT_MINUTES).')
    .option('--json', 'machine-readable')
    .action(async (options: { json?: boolean }) => {
      await withService(async (service) => {
        const signed = await service.audit.checkpointer.checkpoint();
        if (options.json === true) process.stdout.write(`${JSON.stringify({ checkpoints: signed })}\n`);
        else {
          for (const checkpoint of signed) process.stdout.write(`signed ${checkpoint.organizationId} seq ${checkpoint.seq} ${checkpoint.hash}\n`);
          process.stdout.write(`${signed.length} checkpoint(s) signed\n`);
        }
      });
    });

  audit
    .command('verify')
    .description(
      'Seal, then walk every chain: name the first edited, removed, reordered or inserted entry, check each checkpoint (signature, and that the chain still has its hash); --backup also checks the checkpoints of every snapshot. Exit 3 when a chain is broken.',
    )
    .option('--organization <id>', 'only this organisation\'s chain (* is the instance\'s)')
    .option('--public-key <file>', 'also trust checkpoints signed by this key (PEM; repeatable): another instance\'s, a former key', collect)
    .option('--backup <location>', 'also check against the checkpoints in every snapshot of this backup repository (file:///dir or s3://NAME@bucket/prefix)')
    .option('--identity <file>', 'with --backup: an armored private key of the repository (the manifests are encrypted)')
    .addOption(new Option('--passphrase-file <file>', "with --backup: file holding the private key's passphrase (default: DOCSTORE_BACKUP_PASSPHRASE)"))
    .option('--json', 'machine-readable report on stdout, no progress')
    .action(async (options: VerifyOptions, command: Command) => {
      if (options.backup !== undefined && options.identity === undefined) command.error('error: --backup needs --identity (the snapshots\' manifests are encrypted)', { exitCode: EXIT.usage, code: 'commander.invalidArgument' });
      const config = await loadCliConfig();
      const [{ CheckpointKey, readPublicKey }, { verifyAuditTrail }] = await Promise.all([import('../audit/evidence/checkpoint-key.js'), import('../audit/evidence/audit-verifier.js')]);
      const trusted: KeyObject[] = [];
      const own = await CheckpointKey.load(config.audit.checkpointKeyFile);
      if (own !== undefined) trusted.push(own.publicKey);
      for (const file of options.publicKey ?? []) trusted.push(readPublicKey(await readKeyText(file), file));
      let external: ExternalCheckpoint[] = [];
      let snapshots: number | undefined;
      if (options.backup !== undefined) {
        const [{ readIdentity, withRepository }, { snapshotCheckpoints }] = await Promise.all([import('./backup-commands.js'), import('../backup/snapshot-checkpoints.js')]);
        const identity = await readIdentity({ identity: options.identity as string, ...(options.passphraseFile === undefined ? {} : { passphraseFile: options.passphraseFile }) }, config);
        await withRepository(options.backup, config, async (repository) => {
          ({ checkpoints: external, snapshots } = await snapshotCheckpoints(repository, [identity]));
        });
      }
      const tty = options.json !== true && process.stderr.isTTY === true;
      await withService(async (service) => {
        const report = await verifyAuditTrail(service.db, {
          trustedKeys: trusted,
          external,
          sealer: service.audit.sealer,
          ...(options.organization === undefined ? {} : { organizationId: options.organization }),
          ...(tty ? { onProgress: ({ organizationId, entries, total }) => process.stderr.write(`\r\x1b[Kaudit verify: ${organizationId} ${entries}/${total} entries`) } : {}),
        });
        if (tty) process.stderr.write('\r\x1b[K');
        if (options.json === true) process.stdout.write(`${JSON.stringify({ ...report, ...(snapshots === undefined ? {} : { backup: { snapshots, checkpoints: external.length } }) })}\n`);
        else process.stdout.write(describe(report, snapshots, external.length));
        if (!report.ok) process.exitCode = EXIT.verificationMismatch;
      });
    });
}

function describe(report: AuditVerifyReport, snapshots: number | undefined, fromBackup: number): string {
  const lines = report.chains.map(describeChain);
  if (snapshots !== undefined) lines.push(`backup: ${snapshots} snapshot(s), ${fromBackup} checkpoint(s)`);
  lines.push(
    `${report.chains.length} chain(s), ${report.entries} entries, ${report.checkpoints} checkpoint(s) verified with key(s) ${report.keys.join(', ') || '(none)'}: ${report.ok ? 'the trail holds' : `${report.chains.filter((chain) => chain.problemCount > 0).length} chain(s) broken`}`,
  );
  return `${lines.join('\n')}\n`;
}

function describeChain(chain: ChainReport): string {
  const head = `chain ${chain.organizationId}: ${chain.entries} entries, ${chain.checkpoints} checkpoint(s)`;
  if (chain.firstBroken === null) return `${head}: ok`;
  const first = chain.firstBroken;
  const lines = [`${head}: BROKEN at seq ${first.seq}${first.entryId === null ? '' : ` (id ${first.entryId})`}: ${first.kind}: ${first.message}${first.checkpoint === undefined ? '' : ` [checkpoint from ${first.checkpoint.source}]`}`];
  for (const problem of chain.problems.slice(1)) lines.push(`  then seq ${problem.seq}${problem.entryId === null ? '' : ` (id ${problem.entryId})`}: ${problem.kind}: ${problem.message}`);
  if (chain.problemCount > chain.problems.length) lines.push(`  and ${chain.problemCount - chain.problems.length} more problem(s)`);
  return lines.join('\n');
}

async function readKeyText(path: string): Promise<string> {
  const { AuditError } = await import('../audit/audit-errors.js');
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw AuditError.keyInvalid(path, `could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error);
  }
}
