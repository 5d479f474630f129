import type { Command } from 'commander';
import type { DocstoreService } from '../service.js';
import type { ScrubEvent, ScrubReport } from '../documents/integrity/document-scrubber.js';
import { EXIT } from './exit-codes.js';

/** The scrub's default bandwidth (`--bandwidth`, `DOCSTORE_SCRUB_BANDWIDTH`). */
export const DEFAULT_SCRUB_BANDWIDTH = '20M';

interface ScrubCommandOptions {
  bandwidth: string;
  restart?: boolean;
  json?: boolean;
  document?: string;
}

/**
 * `docstore scrub`: re-reads every version's object and compares it with the database's SHA-256,
 * from where the last run (this command or a server's schedule) stopped, to the end of the pass.
 * Exit 3 when it found a damaged or missing object (their documents are now `broken`), 1 when
 * another run holds the lease.
 */
export function registerScrubCommand(program: Command, withService: (work: (service: DocstoreService) => Promise<void>) => Promise<void>): void {
  program
    .command('scrub')
    .description('Re-read every object of every version and compare it with its SHA-256 in the database; damaged or missing ones mark their document broken (exit 3). Resumes where the last scrub stopped.')
    .option('--bandwidth <rate>', 'read at most this many bytes per second (512K, 20M)', DEFAULT_SCRUB_BANDWIDTH)
    .option('--restart', 'start the pass again from the first document')
    .option('--document <id>', 'read only this document\'s versions (no cursor); a broken document whose versions all read whole becomes active again')
    .option('--json', 'machine-readable report on stdout, no progress')
    .action(async (options: ScrubCommandOptions) => {
      const [{ DocumentScrubber }, { BandwidthLimiter, parseByteRate }, { formatBytes }] = await Promise.all([
        import('../documents/integrity/document-scrubber.js'),
        import('../sync/bandwidth-limiter.js'),
        import('./sync-progress.js'),
      ]);
      const limiter = new BandwidthLimiter(parseByteRate(options.bandwidth));
      await withService(async (service) => {
        const scrubber = new DocumentScrubber({ db: service.db, storage: service.storage, integrity: service.integrity });
        const progress = new ScrubProgress(options.json !== true && process.stderr.isTTY === true, formatBytes);
        const run = { limiter, onObject: progress.onObject };
        const report =
          options.document === undefined ? await scrubber.run({ ...run, ...(options.restart === true ? { restart: true } : {}) }) : await scrubber.scrubDocument(options.document, run);
        progress.stop();
        if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
        else process.stdout.write(summary(report, formatBytes));
        if (report.status !== 'done') process.exitCode = EXIT.failed;
        else if (report.damaged.length + report.missing.length > 0) process.exitCode = EXIT.verificationMismatch;
      });
    });
}

function summary(report: ScrubReport, formatBytes: (bytes: number) => string): string {
  if (report.status === 'busy') return 'another scrub is running (a server\'s schedule or another `docstore scrub`); try again later\n';
  const lines = [
    `scrubbed ${report.objects} object(s), ${formatBytes(report.bytes)}: ${report.damaged.length} damaged, ${report.missing.length} missing${report.passCompleted ? '; the pass is complete' : ''}`,
    ...report.damaged.map((event) => `  damaged document ${event.documentId} version ${event.version} (${event.storageKey})`),
    ...report.missing.map((event) => `  missing document ${event.documentId} version ${event.version} (${event.storageKey})`),
  ];
  if (report.status === 'lease_lost') lines.push('stopped: the lease lapsed and another scrub took over');
  if (report.damaged.length + report.missing.length > 0) lines.push('their documents are now broken: see docs/operations.md#damaged-objects');
  return `${lines.join('\n')}\n`;
}

/** One status line redrawn on a terminal (objects, bytes, damage so far); nothing otherwise. */
class ScrubProgress {
  private objects = 0;
  private bytes = 0;
  private damaged = 0;
  private drawn = false;

  constructor(
    private readonly tty: boolean,
    private readonly formatBytes: (bytes: number) => string,
  ) {}

  onObject = (event: ScrubEvent): void => {
    this.objects++;
    this.bytes += event.bytes;
    if (event.result !== 'ok') this.damaged++;
    if (!this.tty) return;
    process.stderr.write(`\r\u001b[2Kscrub: ${this.objects} objects, ${this.formatBytes(this.bytes)}, ${this.damaged} damaged or missing`);
    this.drawn = true;
  };

  stop(): void {
    if (this.drawn) process.stderr.write('\n');
  }
}
