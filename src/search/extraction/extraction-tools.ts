import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Which of Debian's tools this machine has (scripts/services/ocr.sh installs them). */
export interface ExtractionTools {
  /** poppler-utils: pdfinfo, pdftotext and pdftoppm. */
  pdf: boolean;
  /** tesseract with at least one of the configured languages. */
  ocr: boolean;
  /** tesseract's languages (`fra`, `nld`, `eng`, …), empty without it. */
  languages: string[];
}

/**
 * Looks for the tools on PATH (a few milliseconds). Missing tools are not an error: the service
 * runs without them and says so (OCR off, PDFs without a text extraction).
 */
export async function detectExtractionTools(ocrLanguages: string): Promise<ExtractionTools> {
  const [pdf, languages] = await Promise.all([
    run('pdftotext', ['-v'], { timeout: 10_000 }).then(
      () => true,
      // pdftotext -v exits 0 or 99 by version: present unless it is not found.
      (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
    ),
    run('tesseract', ['--list-langs'], { timeout: 10_000 }).then(
      ({ stdout }) => stdout.split('\n').slice(1).map((line) => line.trim()).filter((line) => /^[a-z_]+$/i.test(line)),
      () => [] as string[],
    ),
  ]);
  const wanted = ocrLanguages.split('+');
  return { pdf, ocr: wanted.every((language) => languages.includes(language)), languages };
}
