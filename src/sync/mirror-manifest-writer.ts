import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { ObjectStorage } from '../storage/object-storage.js';
import { MANIFEST_HEADER, MIRROR_MANIFEST_KEY, manifestLine, type ManifestEntry } from './mirror-manifest.js';

/** Entries waiting behind an unfinished one before `add` makes the mirror wait: bounds memory. */
const REORDER_WINDOW = 4096;
/** Characters of manifest lines gathered before they are handed to zlib. */
const GZIP_WRITE_CHARS = 64 * 1024;

interface Slot {
  settled: boolean;
  entry: ManifestEntry | undefined;
  promise: Promise<ManifestEntry | undefined>;
}

/**
 * Writes the manifest of a mirror run (see `mirror-manifest.ts`) in key order while the copies
 * finish in any order: `add` takes each key's outcome in listing order, as a value or a promise,
 * and lines are written as soon as every earlier one is known. Lines go gzipped to a temporary
 * file; `publish` puts it at the destination unless it is the manifest already there.
 */
export class MirrorManifestWriter {
  private readonly slots: Slot[] = [];
  private head = 0;
  private readonly hash = createHash('sha256');
  private readonly gzip = createGzip();
  private readonly finished: Promise<unknown>;
  private pending = '';

  private constructor(
    private readonly directory: string,
    private readonly file: string,
  ) {
    const output = createWriteStream(file);
    this.gzip.pipe(output);
    this.finished = once(output, 'close');
    this.write(`${MANIFEST_HEADER}\n`);
  }

  static async create(): Promise<MirrorManifestWriter> {
    const directory = await mkdtemp(join(tmpdir(), 'docstore-mirror-manifest-'));
    return new MirrorManifestWriter(directory, join(directory, 'manifest.tsv.gz'));
  }

  /** The outcome of the next key in order: its entry, or undefined when the manifest is to say nothing of it. */
  async add(outcome: ManifestEntry | undefined | Promise<ManifestEntry | undefined>): Promise<void> {
    if (!(outcome instanceof Promise)) {
      if (this.head === this.slots.length) {
        if (outcome !== undefined) this.write(manifestLine(outcome));
        return;
      }
      this.slots.push({ settled: true, entry: outcome, promise: Promise.resolve(outcome) });
    } else {
      const slot: Slot = { settled: false, entry: undefined, promise: outcome };
      this.slots.push(slot);
      void outcome.then((entry) => {
        slot.settled = true;
        slot.entry = entry;
        this.flush();
      });
    }
    this.flush();
    while (this.slots.length - this.head > REORDER_WINDOW) {
      await (this.slots[this.head] as Slot).promise;
      this.flush();
    }
  }

  /** Waits for every outcome added, then closes the file; returns the SHA-256 of the manifest's text. */
  async finish(): Promise<string> {
    while (this.head < this.slots.length) {
      await (this.slots[this.head] as Slot).promise;
      this.flush();
    }
    this.writePending();
    this.gzip.end();
    await this.finished;
    return this.hash.digest('hex');
  }

  /**
   * Puts the manifest at the destination. Under Object Lock a put adds a version, so the old
   * manifest's versions (never locked: docstore refuses buckets with a default retention rule) are
   * removed first; a run stopped in between leaves no manifest, and the next one `stat`s.
   */
  async publish(destination: ObjectStorage): Promise<void> {
    if (destination.capabilities.objectLock) await destination.delete(MIRROR_MANIFEST_KEY);
    await destination.put(MIRROR_MANIFEST_KEY, createReadStream(this.file), { contentType: 'application/gzip' });
  }

  /** Removes the temporary file. */
  async dispose(): Promise<void> {
    if (!this.gzip.writableEnded) this.gzip.destroy();
    await rm(this.directory, { recursive: true, force: true });
  }

  private flush(): void {
    while (this.head < this.slots.length && (this.slots[this.head] as Slot).settled) {
      const { entry } = this.slots[this.head] as Slot;
      this.slots[this.head] = undefined as unknown as Slot;
      this.head++;
      if (entry !== undefined) this.write(manifestLine(entry));
    }
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots.splice(0, this.head);
      this.head = 0;
    }
  }

  private write(text: string): void {
    this.pending += text;
    if (this.pending.length >= GZIP_WRITE_CHARS) this.writePending();
  }

  /** Lines go to the hash and the gzip stream in batches: a zlib write per line costs more than deflating it. */
  private writePending(): void {
    if (this.pending === '') return;
    this.hash.update(this.pending);
    this.gzip.write(this.pending);
    this.pending = '';
  }
}
