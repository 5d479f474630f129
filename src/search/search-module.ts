import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import type { RecordedVersion } from '../documents/document-context.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { enqueueExtraction } from './extraction/extraction-job-repository.js';
import type { ExtractionTools } from './extraction/extraction-tools.js';
import { ExtractionWorker, type JobOutcome } from './extraction/extraction-worker.js';
import { TextExtractor } from './extraction/text-extractor.js';
import { SearchIndex } from './search-index.js';
import { SearchService } from './search-service.js';
import type { SearchSettings } from './search-settings.js';

/** Search as the composition root wires it: the use cases, the documents' hooks and workers. */
export interface SearchModule {
  service: SearchService;
  /**
   * The extraction tools found here, looked for once, on first use (a `pdftotext` and a `tesseract`
   * process, about 30 ms): a command that extracts nothing and asks for no status spawns neither.
   * Never rejects: a missing tool is `false` or no language.
   */
  tools(): Promise<ExtractionTools>;
  /** For `DocumentServiceOptions`: queue each new version, rewrite the entry of an edited document (none when the index is off). */
  hooks: {
    onVersionRecorded?: (trx: Transaction<Database>, version: RecordedVersion) => Promise<void>;
    onDocumentEdited?: (trx: Transaction<Database>, documentId: string) => Promise<void>;
  };
  /** A worker of the shared queue for this process (`serve` runs one in the background, `index rebuild` drains). */
  worker(options?: { onJob?: (outcome: JobOutcome) => void; leaseMs?: number }): ExtractionWorker;
}

const NO_TOOLS: ExtractionTools = { pdf: false, ocr: false, languages: [] };

/** Builds search over `db` and `storage`; searches are recorded in `audit`. The extraction tools are looked for on first use (when the index is on). */
export async function createSearchModule(db: Kysely<Database>, storage: ObjectStorage, settings: SearchSettings, now: () => Date, audit?: AuditLog): Promise<SearchModule> {
  let detected: Promise<ExtractionTools> | undefined;
  const tools = () =>
    (detected ??= settings.enabled
      ? import('./extraction/extraction-tools.js').then(({ detectExtractionTools }) => detectExtractionTools(settings.ocrLanguages))
      : Promise.resolve(NO_TOOLS));
  const service = new SearchService(db, { enabled: settings.enabled, tools, ocrLanguages: settings.ocrLanguages, excludedTypes: settings.excludedTypes, ...(audit === undefined ? {} : { audit }) });
  const extractor = new TextExtractor(tools, settings.limits, settings.ocrLanguages);
  const owner = `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`;
  return {
    service,
    tools,
    hooks: settings.enabled
      ? {
          onVersionRecorded: async (trx, version) => {
            await enqueueExtraction(trx, version, now());
            // The title is searchable at once; the body follows the extraction. A new document's
            // entry is written from its fields (two statements, not five: nothing to read back).
            if (version.created === undefined) await SearchIndex.refresh(trx, version.documentId);
            else await SearchIndex.create(trx, version.documentId, version.created);
          },
          onDocumentEdited: (trx, documentId) => SearchIndex.refresh(trx, documentId),
        }
      : {},
    worker: (options = {}) =>
      new ExtractionWorker({
        db,
        storage,
        extractor,
        owner,
        excludedTypes: new Set(settings.excludedTypes),
        now,
        ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
        ...(options.onJob === undefined ? {} : { onJob: options.onJob }),
      }),
  };
}
