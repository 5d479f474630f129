import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { ObjectStorage, PutResult } from '../../storage/object-storage.js';
import { isStorageError } from '../../storage/storage-errors.js';
import { BackupError } from '../backup-errors.js';

/**
 * A backup repository: objects in any storage (an S3 bucket and prefix, or a directory), laid out as
 * - `config`: plaintext JSON: format, id, recipients' fingerprints, the naming key encrypted to them;
 * - `data/<2 hex>/<64 hex>`: blobs, each one OpenPGP message (a padded document, a database dump or a
 *   snapshot's manifest), named by an HMAC of the plaintext's SHA-256 under the secret naming key,
 *   so the provider can neither read them nor confirm that a known file is among them;
 * - `snapshots/<id>`: a snapshot's public part (time and the blobs it references, with their
 *   ciphertext sizes and SHA-256), written last: a snapshot exists only once everything it names does;
 * - `locks/<id>`: shared (backup) and exclusive (forget, prune) locks.
 */
export class BackupRepository {
  private constructor(
    readonly storage: ObjectStorage,
    readonly config: RepositoryConfig,
  ) {}

  /** Writes the configuration of a new repository; an existing one raises `backup.repository_exists`. */
  static async create(storage: ObjectStorage, config: RepositoryConfig): Promise<BackupRepository> {
    if ((await firstKey(storage, '')) !== undefined) {
      throw new BackupError('backup.repository_exists', 'the location is not empty: a repository (or other data) is already there');
    }
    try {
      await storage.put(CONFIG_KEY, JSON.stringify(config, null, 2), { contentType: 'application/json', ifNoneMatch: '*' });
    } catch (error) {
      if (isStorageError(error) && error.code === 'storage.precondition_failed') throw new BackupError('backup.repository_exists', 'a repository is already there');
      throw error;
    }
    return new BackupRepository(storage, config);
  }

  /** Opens an existing repository: `backup.repository_not_found` when there is none (at `location`, for the message). */
  static async open(storage: ObjectStorage, location?: string): Promise<BackupRepository> {
    let text: string;
    try {
      text = (await readAll(storage, CONFIG_KEY)).toString('utf8');
    } catch (error) {
      if (isStorageError(error) && error.code === 'storage.not_found') {
        throw BackupError.repositoryNotFound(location);
      }
      throw error;
    }
    const config = parseJson(text, 'the repository configuration') as RepositoryConfig;
    if (config.format !== REPOSITORY_FORMAT || config.version !== 1 || typeof config.id !== 'string') {
      throw new BackupError('backup.repository_invalid', 'the repository configuration is not a docstore backup repository (version 1)');
    }
    return new BackupRepository(storage, config);
  }

  static newId(): string {
    return randomBytes(8).toString('hex');
  }

  blobKey(name: string): string {
    return `data/${name.slice(0, 2)}/${name}`;
  }

  /** Every blob present, with its stored size (and SHA-256 when the storage lists it). */
  async *blobs(): AsyncIterable<StoredBlob> {
    for await (const entry of this.storage.list({ prefix: 'data/' })) {
      if (entry.kind !== 'object') continue;
      const name = entry.key.slice(entry.key.lastIndexOf('/') + 1);
      yield { name, size: entry.size, ...(entry.sha256 === undefined ? {} : { sha256: entry.sha256 }) };
    }
  }

  /** The blob's stored size and SHA-256; `undefined` when absent. */
  async statBlob(name: string): Promise<BlobRef | undefined> {
    try {
      const info = await this.storage.stat(this.blobKey(name));
      return { name, size: info.size, sha256: info.sha256 ?? '' };
    } catch (error) {
      if (isStorageError(error) && error.code === 'storage.not_found') return undefined;
      throw error;
    }
  }

  /** Stores a blob unless present (a concurrent or earlier upload of the same content counts). */
  async putBlob(name: string, body: Readable | Uint8Array): Promise<BlobRef> {
    try {
      const result: PutResult = await this.storage.put(this.blobKey(name), body, { contentType: 'application/octet-stream', ifNoneMatch: '*' });
      return { name, size: result.size, sha256: result.sha256 };
    } catch (error) {
      if (isStorageError(error) && error.code === 'storage.precondition_failed') {
        const existing = await this.statBlob(name);
        if (existing !== undefined) return existing;
      }
      throw error;
    }
  }

  async getBlob(name: string): Promise<Readable> {
    return (await this.storage.get(this.blobKey(name))).body;
  }

  async deleteBlobs(names: readonly string[]): Promise<{ deleted: number; failed: Array<{ key: string; code: string; message: string }> }> {
    const result = await this.storage.deleteMany(names.map((name) => this.blobKey(name)));
    return { deleted: result.deleted.length, failed: result.failed };
  }

  /** Every snapshot's public part, oldest first. An unreadable one raises `backup.repository_invalid`. */
  async snapshots(): Promise<Snapshot[]> {
    const snapshots: Snapshot[] = [];
    for await (const entry of this.storage.list({ prefix: 'snapshots/' })) {
      if (entry.kind !== 'object') continue;
      const snapshot = parseJson((await readAll(this.storage, entry.key)).toString('utf8'), entry.key) as Snapshot;
      if (snapshot.format !== SNAPSHOT_FORMAT || snapshot.version !== 1 || `snapshots/${snapshot.id}` !== entry.key) {
        throw new BackupError('backup.repository_invalid', `${entry.key} is not a docstore snapshot (version 1)`);
      }
      snapshots.push(snapshot);
    }
    return snapshots.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
  }

  /** `latest`, a full id or a unique prefix of at least 4 characters. */
  async findSnapshot(selector: string): Promise<Snapshot> {
    const snapshots = await this.snapshots();
    if (selector === 'latest') {
      const latest = snapshots.at(-1);
      if (latest === undefined) throw new BackupError('backup.snapshot_not_found', 'the repository has no snapshot yet');
      return latest;
    }
    const matches = selector.length >= 4 ? snapshots.filter((snapshot) => snapshot.id.startsWith(selector)) : [];
    if (matches.length === 1) return matches[0] as Snapshot;
    throw new BackupError('backup.snapshot_not_found', matches.length === 0 ? `no snapshot ${selector}` : `${selector} matches ${matches.length} snapshots: give more characters`);
  }

  /** Publishes a snapshot (create-only): the last write of a backup. */
  async writeSnapshot(snapshot: Snapshot): Promise<void> {
    await this.storage.put(`snapshots/${snapshot.id}`, JSON.stringify(snapshot), { contentType: 'application/json', ifNoneMatch: '*' });
  }

  async deleteSnapshot(id: string): Promise<void> {
    await this.storage.delete(`snapshots/${id}`);
  }
}

export const REPOSITORY_FORMAT = 'docstore-backup-repository';
export const SNAPSHOT_FORMAT = 'docstore-backup-snapshot';
const CONFIG_KEY = 'config';

export interface RepositoryConfig {
  format: typeof REPOSITORY_FORMAT;
  version: 1;
  id: string;
  createdAt: string;
  /** Fingerprints of the keys every blob is encrypted to. */
  recipients: string[];
  /** The naming key, as a binary OpenPGP message to the recipients, base64. */
  encryptedNamingKey: string;
}

/** A blob as the public part of a snapshot names it: ciphertext size and SHA-256. */
export interface BlobRef {
  name: string;
  size: number;
  sha256: string;
}

export interface StoredBlob {
  name: string;
  size: number;
  sha256?: string;
}

/** The public part of a snapshot: nothing in it tells what the documents are. */
export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: 1;
  id: string;
  /** When the backup started (ISO 8601, UTC). */
  time: string;
  /** The encrypted manifest (documents, metadata, database dump). */
  manifest: BlobRef;
  /** Every blob the snapshot needs, the manifest's included: [name, size, sha256]. */
  blobs: Array<[string, number, string]>;
}

async function readAll(storage: ObjectStorage, key: string): Promise<Buffer> {
  const { body } = await storage.get(key);
  return buffer(body);
}

async function firstKey(storage: ObjectStorage, prefix: string): Promise<string | undefined> {
  for await (const entry of storage.list({ prefix, pageSize: 1 })) return entry.kind === 'object' ? entry.key : entry.prefix;
  return undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BackupError('backup.repository_invalid', `${what} is not valid JSON`, { cause: error });
  }
}
