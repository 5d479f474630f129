import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadRemote, type DocstoreConfig } from '../config.js';
import { createObjectStorage, storageWiringOf } from '../storage/create-object-storage.js';
import { LocalObjectStorage } from '../storage/local-object-storage.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { createS3Client } from '../storage/s3-client.js';
import { S3ObjectStorage } from '../storage/s3-object-storage.js';
import { SyncError } from './sync-errors.js';

export interface SyncLocation {
  /** What the user wrote, for messages (never holds secrets). */
  label: string;
  storage: ObjectStorage;
  close(): Promise<void>;
}

/**
 * Opens a location of `mirror` and `verify`; a local source must exist (a destination is created):
 * - `current`: the storage docstore is configured with;
 * - `file:///absolute/dir`: a local storage rooted there (docstore's on-disk format);
 * - `s3://NAME@bucket/prefix`: a bucket and optional key prefix, with the endpoint, region, path
 *   style and credentials of the remote NAME (`DOCSTORE_REMOTE_<NAME>_*`; see docs/migration.md).
 */
export async function openLocation(
  text: string,
  config: DocstoreConfig,
  role: 'source' | 'destination',
  env: Record<string, string | undefined> = process.env,
): Promise<SyncLocation> {
  if (text === 'current') {
    if (config.storage.backend === 'local' && role === 'source') await assertDirectory(config.storage.path, text);
    const { storage, prepare } = await createObjectStorage(config.storage, storageWiringOf(config));
    await prepare();
    return { label: `current (${storage.name})`, storage, close: async () => {} };
  }
  if (text.startsWith('file://')) {
    let path: string;
    try {
      path = fileURLToPath(text);
    } catch (error) {
      throw SyncError.usage(`${text} is not a file:///absolute/path URL`, error);
    }
    // A mistyped source must not look like an empty one (a --delete would then empty the destination).
    if (role === 'source') await assertDirectory(path, text);
    return { label: text, storage: await LocalObjectStorage.open({ root: path }), close: async () => {} };
  }
  const s3 = /^s3:\/\/(?:([^@/]+)@)?([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(text);
  if (s3 !== null) {
    const [, remoteName, bucket, prefix] = s3 as unknown as [string, string | undefined, string, string | undefined];
    if (remoteName === undefined) throw SyncError.usage(`${text}: name the remote whose settings to use, as s3://NAME@${bucket}/…`);
    const remote = loadRemote(remoteName, env);
    const client = createS3Client({ ...remote, ...(remote.endpoint === undefined ? {} : { endpoint: remote.endpoint }) });
    const keyPrefix = prefix === undefined || prefix === '' ? '' : prefix.endsWith('/') ? prefix : `${prefix}/`;
    const storage = new S3ObjectStorage({ client, bucket, keyPrefix, endpointLabel: remote.endpoint ?? `aws:${remote.region}` });
    await storage.check();
    return { label: text, storage, close: async () => client.destroy() };
  }
  throw SyncError.usage(`${text}: a location is "current", file:///dir or s3://NAME@bucket/prefix`);
}

async function assertDirectory(path: string, text: string): Promise<void> {
  const stats = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stats === undefined || !stats.isDirectory()) throw SyncError.usage(`${text}: the source directory ${path} does not exist`);
}
