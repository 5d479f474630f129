import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DocstoreConfig } from '../config.js';
import { loadRemote, type RemoteSettings } from '../config/remote-config.js';
import { createObjectStorage, storageWiringOf, type StorageWiring } from '../storage/create-object-storage.js';
import type { FaultPlan } from '../storage/decorators/fault-injecting-object-storage.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import type { StorageConfig } from '../storage/storage-config.js';
import { SyncError } from './sync-errors.js';

export interface SyncLocation {
  /** What the user wrote, for messages (never holds secrets). */
  label: string;
  storage: ObjectStorage;
  close(): Promise<void>;
}

/** A location as written, parsed and checked, not yet opened. */
export type LocationSpec =
  | { kind: 'current'; text: string }
  | { kind: 'file'; text: string; path: string }
  | { kind: 's3'; text: string; remote: RemoteSettings; bucket: string; keyPrefix: string };

export interface OpenLocationOptions {
  /**
   * Open without creating or cleaning anything (a dry run): no directory, temporary folder,
   * signing secret or bucket is created, and a missing local destination lists as empty.
   * @default false
   */
  readOnly?: boolean;
  /** Tests only: failures to inject into the location's storage (see `StorageWiring.faults`). */
  faults?: FaultPlan;
}

/**
 * Parses a location of `mirror` and `verify`:
 * - `current`: the storage docstore is configured with;
 * - `file:///absolute/dir`: a local storage rooted there (docstore's on-disk format);
 * - `s3://NAME@bucket/prefix`: a bucket and optional key prefix, with the endpoint, region, path
 *   style and credentials of the remote NAME (`DOCSTORE_REMOTE_<NAME>_*`; see docs/migration.md).
 * Raises `sync.usage` (or a configuration error naming the remote's variables) for anything else.
 */
export function parseLocation(text: string, env: Record<string, string | undefined> = process.env): LocationSpec {
  if (text === 'current') return { kind: 'current', text };
  if (text.startsWith('file://')) {
    try {
      return { kind: 'file', text, path: fileURLToPath(text) };
    } catch (error) {
      throw SyncError.usage(`${text} is not a file:///absolute/path URL`, error);
    }
  }
  const s3 = /^s3:\/\/(?:([^@/]+)@)?([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(text);
  if (s3 !== null) {
    const [, remoteName, bucket, prefix] = s3 as unknown as [string, string | undefined, string, string | undefined];
    if (remoteName === undefined) throw SyncError.usage(`${text}: name the remote whose settings to use, as s3://NAME@${bucket}/…`);
    return { kind: 's3', text, remote: loadRemote(remoteName, env), bucket, keyPrefix: keyPrefixOf(prefix) };
  }
  throw SyncError.usage(`${text}: a location is "current", file:///dir or s3://NAME@bucket/prefix`);
}

/**
 * Opens a location (see `parseLocation`) through the storage factory, with the same decorators as
 * docstore's own storage: `current` is that storage; `file://` and `s3://` are storage
 * configurations of purpose `location` (no link signer; a bucket is only checked). A local source
 * must exist; a destination is created unless `readOnly`.
 */
export async function openLocation(
  location: string | LocationSpec,
  config: DocstoreConfig,
  role: 'source' | 'destination',
  env: Record<string, string | undefined> = process.env,
  options: OpenLocationOptions = {},
): Promise<SyncLocation> {
  const spec = typeof location === 'string' ? parseLocation(location, env) : location;
  const readOnly = options.readOnly === true;
  const faults = options.faults === undefined ? {} : { faults: options.faults };
  if (spec.kind === 'current') {
    if (config.storage.backend === 'local' && role === 'source') await assertDirectory(config.storage.path, spec.text);
    const created = await createObjectStorage(config.storage, { ...storageWiringOf(config), readOnly, ...faults });
    await created.prepare();
    return { label: `current (${created.storage.name})`, storage: created.storage, close: created.close };
  }
  // A mistyped source must not look like an empty one (a --delete would then empty the destination).
  if (spec.kind === 'file' && role === 'source') await assertDirectory(spec.path, spec.text);
  const wiring: StorageWiring = { publicBaseUrl: config.http.publicBaseUrl, dataDir: config.dataDir, purpose: 'location', readOnly, ...faults };
  const created = await createObjectStorage(storageConfigOf(spec), wiring);
  try {
    await created.prepare();
  } catch (error) {
    await created.close();
    throw error;
  }
  return { label: spec.text, storage: created.storage, close: created.close };
}

/** The storage configuration of a `file://` or `s3://` location: the adapter's settings, no more (no encryption, no bucket creation). */
export function storageConfigOf(spec: Exclude<LocationSpec, { kind: 'current' }>): StorageConfig {
  if (spec.kind === 'file') return { backend: 'local', path: spec.path };
  const { remote } = spec;
  return {
    backend: 's3',
    ...(remote.endpoint === undefined ? {} : { endpoint: remote.endpoint }),
    bucket: spec.bucket,
    region: remote.region,
    accessKeyId: remote.accessKeyId,
    secretAccessKey: remote.secretAccessKey,
    forcePathStyle: remote.forcePathStyle,
    keyPrefix: spec.keyPrefix,
    createBucket: false,
    ...(remote.objectLock === undefined ? {} : { objectLock: remote.objectLock }),
  };
}

/**
 * Refuses a mirror or verify between two spellings of one place (`current current`, `file:///a` and
 * `file:///a/`, a symbolic link to the directory, the same bucket and prefix through two remotes of
 * one endpoint), and between nested ones: a mirror's copies would land inside the source, and a
 * place compared with itself always verifies.
 */
export async function assertDistinctLocations(source: LocationSpec, destination: LocationSpec, config: DocstoreConfig): Promise<void> {
  const [a, b] = await Promise.all([placeOf(source, config), placeOf(destination, config)]);
  if (a.store !== b.store) return;
  if (a.path === b.path) {
    throw SyncError.usage(`${source.text} and ${destination.text} are the same location (${a.description}): give two different locations`);
  }
  if (a.path.startsWith(b.path) || b.path.startsWith(a.path)) {
    throw SyncError.usage(`${source.text} and ${destination.text} overlap (one lies inside the other): give two separate locations`);
  }
}

/** Where a location's objects live: a store (the local file system, or an endpoint's bucket) and a path in it ending in `/`. */
async function placeOf(spec: LocationSpec, config: DocstoreConfig): Promise<{ store: string; path: string; description: string }> {
  if (spec.kind === 'current') {
    const storage = config.storage;
    if (storage.backend === 'local') return placeOf({ kind: 'file', text: spec.text, path: storage.path }, config);
    return s3Place(storage.endpoint ?? `aws:${storage.region}`, storage.bucket, keyPrefixOf(storage.keyPrefix));
  }
  if (spec.kind === 's3') return s3Place(spec.remote.endpoint ?? `aws:${spec.remote.region}`, spec.bucket, spec.keyPrefix);
  const directory = await canonicalDirectory(resolve(spec.path));
  return { store: 'file', path: directory.endsWith('/') ? directory : `${directory}/`, description: `directory ${directory}` };
}

function s3Place(endpoint: string, bucket: string, keyPrefix: string): { store: string; path: string; description: string } {
  const normalized = URL.canParse(endpoint) ? new URL(endpoint).href.replace(/\/$/, '') : endpoint;
  return { store: `s3 ${normalized} ${bucket}`, path: `/${keyPrefix}`, description: `bucket ${bucket}${keyPrefix === '' ? '' : `, prefix ${keyPrefix}`} at ${normalized}` };
}

/** The directory's real path, symbolic links resolved, also when it (or some of its parents) does not exist yet. */
async function canonicalDirectory(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const parent = dirname(path);
    if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === path) throw error;
    return join(await canonicalDirectory(parent), basename(path));
  }
}

function keyPrefixOf(prefix: string | undefined): string {
  return prefix === undefined || prefix === '' ? '' : prefix.endsWith('/') ? prefix : `${prefix}/`;
}

async function assertDirectory(path: string, text: string): Promise<void> {
  const stats = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stats === undefined || !stats.isDirectory()) throw SyncError.usage(`${text}: the source directory ${path} does not exist`);
}
