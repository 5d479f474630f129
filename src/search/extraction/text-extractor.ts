import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExtractionTools } from './extraction-tools.js';
import { LimitReached, type ExtractionLimits, type LimitKind } from './extraction-limits.js';
import { isOfficeFormat, officeText } from './office-text.js';
import { runTool } from './tool-runner.js';

/** How the text was obtained. */
export type ExtractionMethod = 'text' | 'ocr' | 'text+ocr';

/** What an extraction found. */
export interface Extraction {
  text: string;
  method: ExtractionMethod;
  /** Pages of the PDF (all of them, not only those read); null for other formats. */
  pages: number | null;
  /** Set when a limit stopped the extraction: `text` holds what was read before it. */
  limit?: { kind: LimitKind; message: string };
}

/** Why a document yields no text at all, final (no retry). */
export class NothingToExtract extends Error {
  constructor(
    readonly reason: 'unsupported' | 'ocr_off',
    message: string,
  ) {
    super(message);
    this.name = 'NothingToExtract';
  }
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/tiff', 'image/webp']);
const TEXT_TYPES = new Set(['text/plain', 'text/csv']);
/** A PDF page with fewer visible characters in its text layer is read by OCR (a scan, maybe with a stamp or a page number). */
const MIN_TEXT_LAYER_CHARACTERS = 20;
/** Resolution pages are rendered at for tesseract (its documentation's advice: 300 dpi). */
const OCR_DPI = 300;

/**
 * Text out of a document's file, by type: a PDF's text layer with poppler's pdftotext, pages
 * without one rendered by pdftoppm and read by tesseract (one page at a time: disk and memory flat
 * in the page count); images by tesseract; DOCX/XLSX/ODT/ODS by `officeText`; text and CSV as
 * they are. Every tool runs under the limits (`runTool`); a limit reached keeps the text so far.
 */
export class TextExtractor {
  constructor(
    /** The tools found here, looked for on the first extraction. */
    private readonly tools: () => Promise<ExtractionTools>,
    private readonly limits: ExtractionLimits,
    /** tesseract's `-l` by default, e.g. `fra+nld` (an organisation may choose its own). */
    private readonly ocrLanguages: string,
  ) {}

  /**
   * Extracts the text of `path` (a file of type `mimeType`), using `workDir` for page images;
   * scans and images are read in `languages` (default: the service's). OCR is off for this
   * extraction when tesseract or one of the languages is not installed.
   */
  async extract(path: string, mimeType: string, workDir: string, languages = this.ocrLanguages): Promise<Extraction> {
    const tools = await this.tools();
    const deadline = Date.now() + this.limits.timeoutSeconds * 1000;
    const ocr = languages.split('+').every((language) => tools.languages.includes(language)) ? languages : undefined;
    if (mimeType === 'application/pdf') return this.pdf(tools, path, workDir, deadline, ocr);
    if (IMAGE_TYPES.has(mimeType)) {
      if (ocr === undefined) throw new NothingToExtract('ocr_off', `OCR is off (tesseract with ${languages} is not installed)`);
      return this.limited({ method: 'ocr', pages: null }, async () => this.ocr(path, deadline, ocr));
    }
    if (TEXT_TYPES.has(mimeType)) return { text: await this.plainText(path), method: 'text', pages: null };
    if (isOfficeFormat(mimeType)) {
      return this.limited({ method: 'text', pages: null }, () => officeText(path, mimeType, { deadline, maxCharacters: this.limits.maxCharacters }));
    }
    throw new NothingToExtract('unsupported', `docstore does not read the text of ${mimeType} files`);
  }

  private async limited(base: { method: ExtractionMethod; pages: number | null }, read: () => Promise<string>): Promise<Extraction> {
    try {
      return { ...base, text: await read() };
    } catch (error) {
      if (error instanceof LimitReached) return { ...base, text: '', limit: { kind: error.limit, message: error.message } };
      throw error;
    }
  }

  private async pdf(tools: ExtractionTools, path: string, workDir: string, deadline: number, ocr: string | undefined): Promise<Extraction> {
    if (!tools.pdf) throw new NothingToExtract('ocr_off', 'PDF text extraction is off (poppler-utils is not installed)');
    const run = (command: string, args: string[]) => runTool(command, args, { deadline, memoryMiB: this.limits.memoryMiB, maxOutputBytes: this.limits.maxCharacters * 4 });
    const info = await run('pdfinfo', [path]);
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info.stdout)?.[1] ?? '0');
    const read = Math.min(pages, this.limits.maxPages);
    const texts: string[] = [];
    let ocrPages = 0;
    let textPages = 0;
    let limit: Extraction['limit'] =
      pages > read ? { kind: 'pages', message: `the document has ${pages} pages: the first ${read} were read (DOCSTORE_INDEX_MAX_PAGES=${this.limits.maxPages})` } : undefined;
    try {
      // One page at a time: the text layer, else OCR of the rendered page.
      const layer = read === 0 ? [] : (await run('pdftotext', ['-enc', 'UTF-8', '-f', '1', '-l', String(read), path, '-'])).stdout.split('\f');
      for (let page = 1; page <= read; page++) {
        const text = layer[page - 1] ?? '';
        if (text.replace(/\s+/g, '').length >= MIN_TEXT_LAYER_CHARACTERS || ocr === undefined) {
          texts.push(text);
          textPages++;
          continue;
        }
        const prefix = join(workDir, `page-${page}`);
        await run('pdftoppm', ['-r', String(OCR_DPI), '-gray', '-png', '-f', String(page), '-l', String(page), '-singlefile', path, prefix]);
        try {
          texts.push(await this.ocr(`${prefix}.png`, deadline, ocr));
        } finally {
          await rm(`${prefix}.png`, { force: true });
        }
        ocrPages++;
      }
    } catch (error) {
      if (!(error instanceof LimitReached)) throw error;
      limit = { kind: error.limit, message: `${error.message} after ${texts.length} of ${read} pages` };
      await cleanPageImages(workDir);
    }
    const method: ExtractionMethod = ocrPages === 0 ? 'text' : textPages === 0 ? 'ocr' : 'text+ocr';
    if (ocrPages === 0 && ocr === undefined && texts.every((text) => text.trim() === '') && read > 0) {
      throw new NothingToExtract('ocr_off', 'this PDF has no text layer and OCR is off (tesseract with the configured languages is not installed)');
    }
    return { text: texts.join('\n\f').slice(0, this.limits.maxCharacters), method, pages, ...(limit === undefined ? {} : { limit }) };
  }

  private async ocr(imagePath: string, deadline: number, languages: string): Promise<string> {
    const { stdout } = await runTool('tesseract', [imagePath, 'stdout', '-l', languages], { deadline, memoryMiB: this.limits.memoryMiB, maxOutputBytes: this.limits.maxCharacters * 4 });
    return stdout;
  }

  /** UTF-8 text, or Windows-1252 when it is not UTF-8 (older Belgian exports), up to the character limit. */
  private async plainText(path: string): Promise<string> {
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(this.limits.maxCharacters * 4);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      const bytes = buffer.subarray(0, bytesRead);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        text = new TextDecoder('windows-1252').decode(bytes);
      }
      return text.slice(0, this.limits.maxCharacters);
    } finally {
      await file.close();
    }
  }
}

async function cleanPageImages(workDir: string): Promise<void> {
  for (const name of await readdir(workDir)) if (name.startsWith('page-')) await rm(join(workDir, name), { force: true });
}
