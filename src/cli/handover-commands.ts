import { readFile, rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { DocstoreService } from '../service.js';
import { HandoverError } from '../handover/handover-errors.js';
import { HandoverProgress } from './handover-progress.js';

type WithService = (work: (service: DocstoreService) => Promise<void>) => Promise<void>;

interface ExportOptions {
  building: string;
  to?: string;
  includeTrash?: boolean;
  signKey?: string;
  passphraseFile?: string;
  json?: boolean;
}

interface ImportOptions {
  organization: string;
  publicKey: string;
  buildingId?: string;
  json?: boolean;
}

/** The operator of a CLI command, as exports and imports record it. */
function operator(): string {
  return `cli:${process.env.USER ?? process.env.USERNAME ?? 'operator'}`;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw HandoverError.usage(`cannot read ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * `docstore export`, `docstore import` and `docstore handover-key`: the change of syndic
 * (docs/handover.md). Exit codes: 0 done, 1 failed (a damaged document stops an export),
 * 2 usage (no signing key, unreadable key), 3 an archive whose signature or checksums do not verify.
 */
export function registerHandoverCommands(program: Command, withService: WithService): void {
  program
    .command('export')
    .description('Write a building’s whole archive as one signed ZIP (every document and version, manifests, README, SHA256SUMS and its OpenPGP signature) for the next syndic.')
    .requiredOption('--building <id>', 'the building to export')
    .option('--to <file>', 'where to write the archive (default: its own name, in the current folder)')
    .option('--include-trash', 'include documents in the trash (under trash/)')
    .option('--sign-key <file>', 'an armored OpenPGP private key to sign with (a gpg-made key works), instead of the organisation’s key on this server')
    .option('--passphrase-file <file>', 'the passphrase of a protected --sign-key')
    .option('--json', 'machine-readable summary on stdout, no progress')
    .action(async (options: ExportOptions) => {
      const [{ readSigningKey }, { formatBytes }] = await Promise.all([import('../handover/archive/archive-signature.js'), import('./sync-progress.js')]);
      await withService(async (service) => {
        const signingKey =
          options.signKey === undefined
            ? await service.handover.keys.signingKeyOf(await organizationOf(service, options.building))
            : await readSigningKey(
                await readText(options.signKey, 'the signing key'),
                options.passphraseFile === undefined ? undefined : (await readText(options.passphraseFile, 'the passphrase file')).replace(/\r?\n$/, ''),
                options.signKey,
              );
        const progress = new HandoverProgress({ tty: process.stderr.isTTY === true, quiet: options.json === true, formatBytes });
        const opened = await service.handover.exporter.open({
          buildingId: options.building,
          includeTrash: options.includeTrash === true,
          signingKey,
          requestedBy: operator(),
          onProgress: (step) => progress.update('export', step),
        });
        const target = options.to ?? opened.fileName;
        const partial = `${target}.partial`;
        try {
          await pipeline(opened.output, createWriteStream(partial, { flags: 'wx' }));
          await rename(partial, target);
        } catch (error) {
          await rm(partial, { force: true });
          throw error;
        } finally {
          progress.stop();
        }
        const { manifest } = opened;
        const summary = {
          file: target,
          archiveId: manifest.archiveId,
          buildingId: manifest.building.id,
          documents: manifest.documents.length,
          versions: manifest.documents.reduce((sum, document) => sum + document.versions.length, 0),
          excluded: manifest.excluded,
          fingerprint: manifest.signingKeyFingerprint,
        };
        if (options.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else {
          process.stdout.write(`wrote ${target}: ${summary.documents} documents, ${summary.versions} versions, signed by ${summary.fingerprint}\n`);
          for (const excluded of summary.excluded) process.stdout.write(`  excluded (damaged): ${excluded.documentId} ${excluded.title}\n`);
        }
      });
    });

  program
    .command('import')
    .description('Import a handover archive: its signature and every SHA-256 are verified before anything is stored; any mismatch refuses the whole archive (exit 3). Importing twice creates nothing twice.')
    .argument('<file>', 'the archive (.zip)')
    .requiredOption('--organization <id>', 'the organisation that receives the building')
    .requiredOption('--public-key <file>', 'the outgoing syndic’s armored OpenPGP public key (check its fingerprint with them)')
    .option('--building-id <id>', 'the building’s id here (default: the archive’s)')
    .option('--json', 'machine-readable summary on stdout, no progress')
    .action(async (file: string, options: ImportOptions) => {
      const [{ readVerificationKeys }, { formatBytes }] = await Promise.all([import('../handover/archive/archive-signature.js'), import('./sync-progress.js')]);
      const keys = await readVerificationKeys(await readText(options.publicKey, 'the public key'), options.publicKey);
      await withService(async (service) => {
        const progress = new HandoverProgress({ tty: process.stderr.isTTY === true, quiet: options.json === true, formatBytes });
        try {
          const report = await service.handover.importer.import({
            file,
            organizationId: options.organization,
            ...(options.buildingId === undefined ? {} : { buildingId: options.buildingId }),
            keys,
            importedBy: operator(),
            onProgress: (phase, step) => progress.update(phase === 'verify' ? 'verify' : 'import', step),
          });
          progress.stop();
          if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
          else {
            process.stdout.write(
              `signature by ${report.fingerprint} and every SHA-256 verified; building ${report.buildingId}${report.buildingCreated ? ' created' : ''}: ${report.documentsImported} documents imported (${report.versionsImported} versions, ${formatBytes(report.bytes)}), ${report.documentsSkipped} already here${report.retentionsKept > 0 ? `, ${report.retentionsKept} kept longer than this organisation's policy` : ''}\n`,
            );
          }
        } finally {
          progress.stop();
        }
      });
    });

  program
    .command('handover-key')
    .description('Create an organisation’s OpenPGP signing key for building exports (under DATA_DIR/handover-keys), or print its public key.')
    .requiredOption('--organization <id>', 'the organisation')
    .option('--name <name>', 'the name in the key, e.g. "Syndic Dupont SRL"')
    .option('--show', 'print the existing public key (armored) instead of creating one')
    .action(async (options: { organization: string; name?: string; show?: boolean }) => {
      await withService(async (service) => {
        if (options.show === true) {
          process.stdout.write(await service.handover.keys.publicKeyOf(options.organization));
          return;
        }
        const created = await service.handover.keys.create(options.organization, options.name ?? `docstore exports of ${options.organization}`);
        process.stdout.write(`fingerprint: ${created.fingerprint}\npublic key:  ${created.publicKeyPath}   -> give it (and read the fingerprint out) to whoever receives your archives\nprivate key: ${created.privateKeyPath} (mode 0600; back it up with the server)\n`);
      });
    });
}

async function organizationOf(service: DocstoreService, buildingId: string): Promise<string> {
  const row = await service.db.selectFrom('buildings').select('organization_id').where('id', '=', buildingId).executeTakeFirst();
  if (row === undefined) {
    const { BuildingError } = await import('../buildings/building-errors.js');
    throw BuildingError.notFound(buildingId);
  }
  return row.organization_id;
}
