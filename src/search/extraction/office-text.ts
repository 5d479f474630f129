import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { LimitReached } from './extraction-limits.js';

/** The office formats read, by MIME type: which parts of the ZIP hold text, and which elements. */
const FORMATS: Record<string, { parts: RegExp; textElements?: ReadonlySet<string>; breaks: ReadonlySet<string>; tabs: ReadonlySet<string> }> = {
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
    parts: /^word\/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$/,
    textElements: new Set(['w:t']),
    breaks: new Set(['w:p', 'w:br', 'w:tr']),
    tabs: new Set(['w:tab', 'w:tc']),
  },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
    parts: /^xl\/(sharedStrings|worksheets\/sheet\d+)\.xml$/,
    textElements: new Set(['t']),
    breaks: new Set(['si', 'row']),
    tabs: new Set(['c']),
  },
  'application/vnd.oasis.opendocument.text': {
    parts: /^content\.xml$/,
    breaks: new Set(['text:p', 'text:h', 'text:line-break', 'table:table-row']),
    tabs: new Set(['text:tab', 'table:table-cell', 'text:s']),
  },
  'application/vnd.oasis.opendocument.spreadsheet': {
    parts: /^content\.xml$/,
    breaks: new Set(['text:p', 'table:table-row']),
    tabs: new Set(['table:table-cell', 'text:s']),
  },
};

/** Whether `officeText` reads this MIME type. */
export function isOfficeFormat(mimeType: string): boolean {
  return mimeType in FORMATS;
}

/** Uncompressed bytes read from one document's ZIP at most (a ZIP bomb stops here). */
const MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024;

/**
 * The text of a DOCX, XLSX, ODT or ODS file: its ZIP read with yauzl (random access to the file,
 * each part streamed, CRC checked), the XML of the parts holding text turned into lines as it
 * streams (paragraphs and rows become lines, cells tabs), entities decoded. Stops with
 * `LimitReached` at `maxCharacters` or the deadline.
 */
export async function officeText(path: string, mimeType: string, limits: { deadline: number; maxCharacters: number }): Promise<string> {
  const format = FORMATS[mimeType];
  if (format === undefined) throw new Error(`not an office format: ${mimeType}`);
  const zip = await new Promise<ZipFile>((resolve, reject) => yauzl.open(path, { lazyEntries: true, autoClose: true }, (error, file) => (error ? reject(error) : resolve(file))));
  const texts: string[] = [];
  let characters = 0;
  let uncompressed = 0;
  try {
    for await (const entry of entries(zip)) {
      if (!format.parts.test(entry.fileName)) continue;
      const parser = new XmlText(format);
      const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.openReadStream(entry, (error, readable) => (error ? reject(error) : resolve(readable))));
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        uncompressed += chunk.length;
        if (uncompressed > MAX_UNCOMPRESSED_BYTES) throw new LimitReached('characters', `more than ${MAX_UNCOMPRESSED_BYTES} bytes uncompressed`);
        if (Date.now() > limits.deadline) throw new LimitReached('time', 'the time limit was reached');
        parser.write(chunk.toString('utf8'));
        if (characters + parser.length > limits.maxCharacters) break;
      }
      const text = parser.text();
      texts.push(text);
      characters += text.length;
      if (characters > limits.maxCharacters) break;
    }
  } finally {
    zip.close();
  }
  return texts.join('\n').slice(0, limits.maxCharacters);
}

async function* entries(zip: ZipFile): AsyncGenerator<Entry> {
  for (;;) {
    const next = await new Promise<Entry | undefined>((resolve, reject) => {
      const onEntry = (entry: Entry) => {
        cleanup();
        resolve(entry);
      };
      const onEnd = () => {
        cleanup();
        resolve(undefined);
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      const cleanup = () => {
        zip.off('entry', onEntry);
        zip.off('end', onEnd);
        zip.off('error', onError);
      };
      zip.on('entry', onEntry);
      zip.on('end', onEnd);
      zip.on('error', onError);
      zip.readEntry();
    });
    if (next === undefined) return;
    yield next;
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

/** A streaming XML-to-text reducer: no tree, a tag split across chunks carried to the next. */
class XmlText {
  private readonly out: string[] = [];
  private pending = '';
  private inside = 0;
  length = 0;

  constructor(private readonly format: { textElements?: ReadonlySet<string>; breaks: ReadonlySet<string>; tabs: ReadonlySet<string> }) {}

  write(chunk: string): void {
    let data = this.pending + chunk;
    this.pending = '';
    let position = 0;
    for (;;) {
      const open = data.indexOf('<', position);
      if (open === -1) {
        // Text up to the end; an entity cut in two waits for the next chunk.
        const amp = data.lastIndexOf('&');
        const cut = amp >= position && data.indexOf(';', amp) === -1 ? amp : data.length;
        this.text_(data.slice(position, cut));
        this.pending = data.slice(cut);
        return;
      }
      this.text_(data.slice(position, open));
      const close = data.indexOf('>', open);
      if (close === -1) {
        this.pending = data.slice(open);
        return;
      }
      this.tag(data.slice(open + 1, close));
      position = close + 1;
      if (position > 65536) {
        data = data.slice(position);
        position = 0;
      }
    }
  }

  text(): string {
    return this.out.join('').replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  }

  private text_(raw: string): void {
    if (raw === '' || (this.format.textElements !== undefined && this.inside === 0)) return;
    const decoded = decodeEntities(raw);
    this.out.push(decoded);
    this.length += decoded.length;
  }

  private tag(body: string): void {
    if (body.startsWith('?') || body.startsWith('!')) return;
    const closing = body.startsWith('/');
    const selfClosing = body.endsWith('/');
    const name = (closing ? body.slice(1) : body).split(/[\s/]/, 1)[0] ?? '';
    if (this.format.textElements?.has(name) === true && !selfClosing) this.inside += closing ? -1 : 1;
    if (this.inside < 0) this.inside = 0;
    if ((closing || selfClosing) && this.format.breaks.has(name)) this.out.push('\n');
    else if ((closing || selfClosing) && this.format.tabs.has(name)) this.out.push('\t');
  }
}
