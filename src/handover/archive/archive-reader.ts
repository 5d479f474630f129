import type { Readable } from 'node:stream';
import type { Entry, ZipFile } from 'yauzl';
import { HandoverError } from '../handover-errors.js';

/** One file of an archive. */
export interface ArchiveEntry {
  /** The path inside the ZIP, root folder included. */
  name: string;
  size: number;
}

/**
 * A handover ZIP opened for reading (yauzl: the central directory, then each entry streamed with
 * its size and CRC-32 checked). Entries are listed once (metadata only) and read by name; what is
 * not a regular stored or deflated file (encrypted, a link) is refused.
 */
export class ArchiveReader {
  private constructor(
    private readonly zip: ZipFile,
    private readonly byName: Map<string, Entry>,
  ) {}

  static async open(path: string): Promise<ArchiveReader> {
    // yauzl loads when an archive is read, not with the service.
    const { open: openZip } = await import('yauzl');
    const zip = await new Promise<ZipFile>((resolve, reject) => {
      openZip(path, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: true }, (error, opened) => {
        if (error !== null) reject(HandoverError.archiveInvalid(`${path} cannot be read as a ZIP (${error.message})`, error));
        else resolve(opened);
      });
    });
    const byName = new Map<string, Entry>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: Entry) => {
        if (!entry.fileName.endsWith('/')) {
          if (entry.isEncrypted()) return reject(HandoverError.archiveInvalid(`${entry.fileName} is encrypted`));
          if (byName.has(entry.fileName)) return reject(HandoverError.archiveInvalid(`${entry.fileName} appears twice`));
          byName.set(entry.fileName, entry);
        }
        zip.readEntry();
      });
      zip.once('end', () => resolve());
      zip.once('error', (error: Error) => reject(HandoverError.archiveInvalid(error.message, error)));
      zip.readEntry();
    }).catch((error: unknown) => {
      zip.close();
      throw error;
    });
    return new ArchiveReader(zip, byName);
  }

  /** Every file (directories left out), in the archive's order. */
  entries(): ArchiveEntry[] {
    return [...this.byName.values()].map((entry) => ({ name: entry.fileName, size: entry.uncompressedSize }));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The bytes of one file; a truncated or altered entry fails the stream (size and CRC checks). */
  async read(name: string): Promise<Readable> {
    const entry = this.byName.get(name);
    if (entry === undefined) throw HandoverError.archiveInvalid(`${name} is missing`);
    try {
      return await this.zip.openReadStreamPromise(entry);
    } catch (error) {
      throw HandoverError.archiveInvalid(`${name} cannot be read (${error instanceof Error ? error.message : String(error)})`, error);
    }
  }

  /** A small file's bytes (manifests, checksums), refused above `maxBytes`. */
  async readSmall(name: string, maxBytes: number): Promise<Buffer> {
    const entry = this.byName.get(name);
    if (entry !== undefined && entry.uncompressedSize > maxBytes) throw HandoverError.archiveInvalid(`${name} is larger than ${maxBytes} bytes`);
    const chunks: Buffer[] = [];
    for await (const chunk of await this.read(name)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  close(): void {
    this.zip.close();
  }
}
