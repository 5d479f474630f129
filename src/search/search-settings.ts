import type { DocumentType } from '../shared/document.js';
import type { ExtractionLimits } from './extraction/extraction-limits.js';

/** Search's configuration (`DOCSTORE_INDEX` and co., docs/search.md, docs/configuration.md). */
export interface SearchSettings {
  /** `DOCSTORE_INDEX`: off, no text is extracted or indexed and `/api/v1/search` answers 503. @default true */
  enabled: boolean;
  /** `DOCSTORE_INDEX_EXCLUDE_TYPES`: types whose content is never extracted (their title is still indexed). @default [] */
  excludedTypes: DocumentType[];
  /** `DOCSTORE_OCR_LANGUAGES`: tesseract's languages, `+`-separated. @default 'fra+nld' */
  ocrLanguages: string;
  /** `DOCSTORE_INDEX_MAX_PAGES`, `DOCSTORE_INDEX_TIMEOUT_SECONDS`, `DOCSTORE_INDEX_MEMORY_MB`. */
  limits: ExtractionLimits;
}
