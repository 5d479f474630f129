import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yazl from 'yazl';

const run = promisify(execFile);
const ocrScript = new URL('../../scripts/services/ocr.sh', import.meta.url).pathname;

/** Debian's poppler-utils and tesseract (fra, nld, eng), installed by scripts/services/ocr.sh when missing. */
export async function installOcrTools(): Promise<void> {
  await run('bash', [ocrScript, 'install'], { timeout: 900_000, maxBuffer: 1 << 20 });
}

/** A PDF string literal in WinAnsi (Latin-1 for the letters used here): accents as octal escapes. */
function pdfString(text: string): string {
  let out = '';
  for (const character of text) {
    const code = character.codePointAt(0) ?? 63;
    if (character === '(' || character === ')' || character === '\\') out += `\\${character}`;
    else if (code < 128) out += character;
    else if (code < 256) out += `\\${code.toString(8).padStart(3, '0')}`;
    else out += '?';
  }
  return `(${out})`;
}

/**
 * A PDF with a text layer, written by hand: one page per entry of `pages`, each line of a page in
 * 20-point Helvetica (WinAnsiEncoding, so that é and è are real characters of the text layer).
 */
export function textPdf(pages: string[][]): Buffer {
  const objects: string[] = [];
  const pageIds: number[] = [];
  // 1: catalog, 2: pages, 3: font; then per page: the page and its content stream.
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  let next = 4;
  for (const lines of pages) {
    const pageId = next++;
    const contentId = next++;
    const stream = `BT /F1 20 Tf 60 760 Td 26 TL ${lines.map((line) => `${pdfString(line)} Tj T*`).join(' ')} ET`;
    objects[pageId] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>`;
    objects[contentId] = `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`;
    pageIds.push(pageId);
  }
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
  return assemble(objects.map((body) => Buffer.from(body, 'latin1')));
}

/** A scanned-looking PDF: one page holding only a JPEG image (RGB, as pdftoppm writes it even with -gray), no text layer. */
export function imagePdf(jpeg: Buffer, width: number, height: number): Buffer {
  const objects: Buffer[] = [];
  const content = `q 612 0 0 792 0 0 cm /Im1 Do Q`;
  objects[1] = Buffer.from('<< /Type /Catalog /Pages 2 0 R >>');
  objects[2] = Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  objects[3] = Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>');
  objects[4] = Buffer.concat([
    Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${jpeg.length} >>\nstream\n`),
    jpeg,
    Buffer.from('\nendstream'),
  ]);
  objects[5] = Buffer.from(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  return assemble(objects);
}

function assemble(objects: Buffer[]): Buffer {
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = chunks[0]!.length;
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    const chunk = Buffer.concat([Buffer.from(`${id} 0 obj\n`), objects[id]!, Buffer.from('\nendobj\n')]);
    offsets[id] = offset;
    chunks.push(chunk);
    offset += chunk.length;
  }
  const xref = [`xref\n0 ${objects.length}\n`, '0000000000 65535 f \n', ...offsets.slice(1).map((at) => `${String(at).padStart(10, '0')} 00000 n \n`)].join('');
  chunks.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
  return Buffer.concat(chunks);
}

/**
 * A scan of `lines`: the text PDF rendered by poppler's pdftoppm, grey, at 200 dpi, as PNG or
 * JPEG (what a scanner or a phone gives), with its size in pixels.
 */
export async function scanOf(lines: string[], format: 'png' | 'jpeg'): Promise<{ image: Buffer; width: number; height: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'docstore-scan-'));
  try {
    await writeFile(join(dir, 'page.pdf'), textPdf([lines]));
    await run('pdftoppm', ['-r', '200', '-gray', `-${format}`, '-singlefile', join(dir, 'page.pdf'), join(dir, 'scan')]);
    const image = await readFile(join(dir, `scan.${format === 'png' ? 'png' : 'jpg'}`));
    return { image, width: Math.round(612 * 200 / 72), height: Math.round(792 * 200 / 72) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A minimal DOCX (WordprocessingML in a ZIP written by yazl), one paragraph per entry. */
export async function docx(paragraphs: string[]): Promise<Buffer> {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const zip = new yazl.ZipFile();
  zip.addBuffer(
    Buffer.from(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ),
    '[Content_Types].xml',
  );
  zip.addBuffer(
    Buffer.from(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    '_rels/.rels',
  );
  const body = paragraphs.map((text) => `<w:p><w:r><w:t xml:space="preserve">${escape(text)}</w:t></w:r></w:p>`).join('');
  zip.addBuffer(
    Buffer.from(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`),
    'word/document.xml',
  );
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
