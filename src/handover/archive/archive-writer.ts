import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ZipFile } from 'yazl';

/** One file of the archive whose bytes come from a stream opened when its turn comes. */
export interface StreamedEntry {
  /** Path under the archive's root folder. */
  path: string;
  /** Exact size in bytes (checked by the writer). */
  size: number;
  /** SHA-256 the bytes must have (the opener's stream fails otherwise). */
  sha256: string;
  mtime: Date;
  /** Opens the bytes; called once, when the entry before it is written. */
  open(): Promise<Readable>;
}

/**
 * The handover ZIP as it is written: every entry stored (no compression: documents are PDFs and
 * images), UTF-8 names, data descriptors, ZIP64 records only where an entry or the archive needs
 * them (yazl). Entries are declared first and their bytes pulled one at a time, so memory holds
 * one chunk whatever the archive's size. Every declared file's SHA-256 is kept for `SHA256SUMS`.
 */
export class ArchiveWriter {
  private readonly sums: Array<{ path: string; sha256: string }> = [];
  private failure: Error | undefined;

  private constructor(
    private readonly root: string,
    private readonly zip: ZipFile,
  ) {
    this.zip.on('error', (error: Error) => this.fail(error));
  }

  /** A new archive whose files go under `root` (yazl loads here, not with the service). */
  static async create(root: string): Promise<ArchiveWriter> {
    const { ZipFile } = await import('yazl');
    return new ArchiveWriter(root, new ZipFile());
  }

  /** The archive's bytes: pipe them to a file, a storage `put` or a response. */
  get output(): Readable {
    return this.zip.outputStream as unknown as Readable;
  }

  /** Adds a small file held in memory (README, manifests), listed in `SHA256SUMS` unless `unlisted`. */
  addText(path: string, content: string | Uint8Array, mtime: Date, options: { unlisted?: boolean } = {}): void {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    if (options.unlisted !== true) this.sums.push({ path, sha256: createHash('sha256').update(bytes).digest('hex') });
    this.zip.addBuffer(bytes, `${this.root}/${path}`, { compress: false, mtime });
  }

  /** Adds a streamed file; a failure of its stream fails the whole archive's output. */
  addStream(entry: StreamedEntry): void {
    this.sums.push({ path: entry.path, sha256: entry.sha256 });
    this.zip.addReadStreamLazy(`${this.root}/${entry.path}`, { compress: false, mtime: entry.mtime, size: entry.size }, (callback) => {
      if (this.failure !== undefined) return;
      entry.open().then(
        (stream) => {
          stream.on('error', (error) => this.fail(error));
          callback(null, stream);
        },
        (error: Error) => this.fail(error),
      );
    });
  }

  /** `SHA256SUMS` of every listed file so far, in the format `sha256sum -c` reads. */
  checksums(): string {
    return this.sums.map((sum) => `${sum.sha256}  ${sum.path}\n`).join('');
  }

  /** No more entries: the central directory follows the last one. */
  end(options: { forceZip64?: boolean } = {}): void {
    this.zip.end({ forceZip64Format: options.forceZip64 === true, comment: '' });
  }

  /** Stops the archive: its output fails with `error` (what was written is not a valid ZIP). */
  fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.output.destroy(error);
  }
}
