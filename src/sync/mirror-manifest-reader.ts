import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { compareKeys } from '../storage/object-key.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { isNotFound } from '../storage/storage-errors.js';
import { MANIFEST_HEADER, MIRROR_MANIFEST_KEY, parseManifestLine, type ManifestEntry } from './mirror-manifest.js';

/**
 * What became of the manifest: none at the destination (`absent`), read to its end (`read`), or
 * unreadable, malformed or out of key order from some line on (`damaged`, with the reason: the
 * entries before it were used, the rest was not, and those objects were `stat`ed instead).
 */
export type ManifestReadState = { state: 'absent' } | { state: 'read' } | { state: 'damaged'; reason: string };

/**
 * Streams the destination's manifest (see `mirror-manifest.ts`) alongside the listings: `lookup`
 * is called with ascending keys and reads only as far as the key asked for, so memory does not
 * depend on the number of entries. A manifest that cannot be read or parsed is never fatal: from
 * there on nothing is trusted, and the objects are described by the storage as without one.
 */
export class MirrorManifestReader {
  private lines: AsyncIterator<string> | undefined;
  private body: Readable | undefined;
  private pending: ManifestEntry | undefined;
  private lastKey: string | undefined;
  private ended = false;
  private readonly hash = createHash('sha256');
  private outcome: ManifestReadState = { state: 'read' };

  private constructor() {}

  /** Opens the manifest at `storage` (nothing there is not an error: every lookup then answers undefined). */
  static async open(storage: ObjectStorage): Promise<MirrorManifestReader> {
    const reader = new MirrorManifestReader();
    try {
      const { body } = await storage.get(MIRROR_MANIFEST_KEY);
      reader.body = body;
      const gunzip = createGunzip();
      body.on('error', (error) => gunzip.destroy(error));
      reader.lines = linesOf(body.pipe(gunzip));
      const header = await reader.nextLine();
      if (header !== MANIFEST_HEADER && reader.outcome.state === 'read') reader.damage(header === undefined ? 'empty' : 'unknown format');
    } catch (error) {
      if (isNotFound(error)) {
        reader.outcome = { state: 'absent' };
        reader.ended = true;
      } else reader.damage(error instanceof Error ? error.message : String(error));
    }
    return reader;
  }

  get state(): ManifestReadState {
    return this.outcome;
  }

  /**
   * The entry for `key`, if the manifest has one. Keys must come in ascending order (the
   * listings'); entries of keys skipped over are passed by.
   */
  async lookup(key: string): Promise<ManifestEntry | undefined> {
    for (;;) {
      if (this.pending === undefined) {
        if (this.ended) return undefined;
        this.pending = await this.nextEntry();
        if (this.pending === undefined) return undefined;
      }
      const order = compareKeys(this.pending.key, key);
      if (order > 0) return undefined;
      const entry = this.pending;
      this.pending = undefined;
      if (order === 0) return entry;
    }
  }

  /**
   * SHA-256 of the whole manifest text, once it was read to its end intact; undefined otherwise.
   * A mirror whose new manifest hashes the same leaves the old one in place.
   */
  async digestOfWhole(): Promise<string | undefined> {
    if (this.outcome.state !== 'read') return undefined;
    while (!this.ended) {
      if ((await this.nextEntry()) === undefined) break;
    }
    return this.outcome.state === 'read' ? this.hash.digest('hex') : undefined;
  }

  close(): void {
    this.ended = true;
    this.body?.destroy();
  }

  private async nextEntry(): Promise<ManifestEntry | undefined> {
    const line = await this.nextLine();
    if (line === undefined) return undefined;
    const entry = parseManifestLine(line);
    if (entry === undefined) return this.damage('a malformed line');
    if (this.lastKey !== undefined && compareKeys(this.lastKey, entry.key) >= 0) return this.damage(`keys out of order at ${entry.key}`);
    this.lastKey = entry.key;
    return entry;
  }

  private async nextLine(): Promise<string | undefined> {
    if (this.ended || this.lines === undefined) return undefined;
    try {
      const next = await this.lines.next();
      if (next.done === true) {
        this.ended = true;
        return undefined;
      }
      this.hash.update(`${next.value}\n`);
      return next.value;
    } catch (error) {
      return this.damage(error instanceof Error ? error.message : String(error));
    }
  }

  private damage(reason: string): undefined {
    this.outcome = { state: 'damaged', reason };
    this.close();
    return undefined;
  }
}

/** The lines of a text stream (UTF-8, `\n`-separated); a stream error is thrown by `next`. */
async function* linesOf(stream: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    const lines = (rest + decoder.write(chunk as Buffer)).split('\n');
    rest = lines.pop() as string;
    yield* lines;
  }
  rest += decoder.end();
  if (rest !== '') yield rest;
}
