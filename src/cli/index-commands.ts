import type { Command } from 'commander';
import type { DocstoreService } from '../service.js';
import type { JobOutcome } from '../search/extraction/extraction-worker.js';
import { EXIT } from './exit-codes.js';

type WithService = (work: (service: DocstoreService) => Promise<void>) => Promise<void>;

/**
 * `docstore index status|rebuild`: the search index's extraction queue (docs/search.md).
 * `status` reads the queue by status and the latest problems; `rebuild` queues every document's
 * current version again and works the queue here until nothing is due, beside any serving
 * instance (they share the queue through leases).
 */
export function registerIndexCommands(program: Command, withService: WithService): void {
  const index = program.command('index').description('The search index: text extraction and OCR of documents (docs/search.md).');

  index
    .command('status')
    .description('Extraction jobs by status, whether OCR is on, and the latest documents whose text was limited, failed or skipped.')
    .option('--json', 'machine-readable report on stdout')
    .action(async (options: { json?: boolean }) => {
      const { countJobs, problemJobs } = await import('../search/extraction/extraction-job-repository.js');
      await withService(async (service) => {
        const [jobs, problems] = await Promise.all([countJobs(service.db), problemJobs(service.db, 20)]);
        const report = {
          ...(await service.search.service.status()),
          tesseractLanguages: (await service.search.tools()).languages,
          jobs,
          problems: problems.map((job) => ({ documentId: job.document_id, version: job.version, status: job.status, pages: job.pages, error: job.error })),
        };
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const lines = [
          `index ${report.index}, PDF text ${report.pdfText}, OCR ${report.ocr} (${report.ocrLanguages}${report.ocr === 'off' && report.index === 'on' ? ': install tesseract with these languages, scripts/services/ocr.sh install' : ''})`,
          `jobs: ${Object.entries(jobs).map(([status, count]) => `${status} ${count}`).join(', ')}`,
          ...report.problems.map((problem) => `  ${problem.status.padEnd(11)} ${problem.documentId} v${problem.version}: ${problem.error ?? ''}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });

  index
    .command('rebuild')
    .description('Queue the text extraction of every document again, then extract here until the queue holds nothing due (serving instances help).')
    .option('--json', 'machine-readable summary on stdout, no progress')
    .action(async (options: { json?: boolean }) => {
      const { requeueAll, countJobs } = await import('../search/extraction/extraction-job-repository.js');
      await withService(async (service) => {
        if (!service.config.search.enabled) {
          process.stderr.write('docstore: the search index is off (DOCSTORE_INDEX=off): nothing to rebuild\n');
          process.exitCode = EXIT.usage;
          return;
        }
        const queued = await requeueAll(service.db, new Date());
        const tty = options.json !== true && process.stderr.isTTY === true;
        const outcomes: Record<string, number> = {};
        let ended = 0;
        const onJob = (outcome: JobOutcome) => {
          ended++;
          outcomes[outcome.status] = (outcomes[outcome.status] ?? 0) + 1;
          if (options.json === true) return;
          const line = `${ended}/${queued} ${outcome.status} ${outcome.documentId} v${outcome.version}${outcome.pages === null ? '' : ` (${outcome.pages} pages)`} ${outcome.seconds.toFixed(1)} s${outcome.error === undefined ? '' : `: ${outcome.error}`}`;
          process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
        };
        const started = Date.now();
        await service.search.worker({ onJob }).drain();
        if (tty) process.stderr.write('\n');
        const jobs = await countJobs(service.db);
        const summary = { queued, worked: ended, outcomes, jobs, ocr: (await service.search.service.status()).ocr, seconds: (Date.now() - started) / 1000 };
        if (options.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else process.stdout.write(`queued ${queued}, extracted ${ended} here in ${summary.seconds.toFixed(1)} s: ${Object.entries(outcomes).map(([status, count]) => `${status} ${count}`).join(', ') || 'nothing'}\n`);
        if ((outcomes.failed ?? 0) > 0) process.exitCode = EXIT.failed;
      });
    });
}
