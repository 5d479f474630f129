/** The limits of one document's extraction (`DOCSTORE_INDEX_MAX_PAGES` and co., docs/search.md#limits). */
export interface ExtractionLimits {
  /** Pages of a PDF read (text or OCR); later pages are left out and the job says so. @default 200 */
  maxPages: number;
  /** Time for the whole document, every tool included; the job stops at a limit status when reached. @default 600 */
  timeoutSeconds: number;
  /** Address space of each tool's process (pdftotext, pdftoppm, tesseract), in MiB. @default 1024 */
  memoryMiB: number;
  /** Characters of text kept per document (the rest is neither stored nor indexed). @default 2000000 */
  maxCharacters: number;
}

export const DEFAULT_EXTRACTION_LIMITS: ExtractionLimits = { maxPages: 200, timeoutSeconds: 600, memoryMiB: 1024, maxCharacters: 2_000_000 };

/** Which limit stopped an extraction. */
export type LimitKind = 'pages' | 'time' | 'memory' | 'characters';

/** Thrown by a tool run stopped at a limit: the extraction keeps what it had and says which limit. */
export class LimitReached extends Error {
  constructor(
    readonly limit: LimitKind,
    message: string,
  ) {
    super(message);
    this.name = 'LimitReached';
  }
}
