import { INTERNAL_PREFIXES } from '../storage/internal-keys.js';
import type { ListedObject } from '../storage/object-storage.js';

/**
 * Where a mirror keeps its manifest at the destination, and the prefix `mirror`, `verify` and
 * `reconcile` leave out of their listings (the manifest is not a document).
 */
export const MIRROR_STATE_PREFIX = INTERNAL_PREFIXES.mirrorState;
export const MIRROR_MANIFEST_KEY = `${MIRROR_STATE_PREFIX}manifest.tsv.gz`;

/** First line of a manifest: its format and version. */
export const MANIFEST_HEADER = 'docstore-mirror-manifest\t1';

/**
 * What the last mirror established about one object it copied or found equal: both sides held
 * `size` bytes hashing to `sha256`, the destination's version was `destinationEtag` and the
 * source's `sourceEtag`. A side's SHA-256 is taken from here only while that side still lists the
 * same ETag and size (`trustedSha256`): a version rewritten since, by anyone, has another ETag.
 */
export interface ManifestEntry {
  key: string;
  size: number;
  destinationEtag: string;
  sourceEtag: string;
  sha256: string;
}

/** One line of the manifest: tab-separated (a key never holds a control character). */
export function manifestLine(entry: ManifestEntry): string {
  return `${entry.key}\t${entry.size}\t${entry.destinationEtag}\t${entry.sourceEtag}\t${entry.sha256}\n`;
}

const SHA256 = /^[0-9a-f]{64}$/;
const SIZE = /^(0|[1-9][0-9]{0,15})$/;

/** Parses one line; undefined when it is not a well-formed entry (the rest of the manifest is then ignored). */
export function parseManifestLine(line: string): ManifestEntry | undefined {
  const fields = line.split('\t');
  if (fields.length !== 5) return undefined;
  const [key, size, destinationEtag, sourceEtag, sha256] = fields as [string, string, string, string, string];
  if (key === '' || !SIZE.test(size) || destinationEtag === '' || sourceEtag === '' || !SHA256.test(sha256)) return undefined;
  return { key, size: Number(size), destinationEtag, sourceEtag, sha256 };
}

/**
 * The SHA-256 of one side's object without asking the storage: the listing's own (local disk
 * lists it), else the manifest's while that side lists the ETag and size the manifest recorded.
 * Undefined: the caller must `stat`.
 */
export function trustedSha256(listed: ListedObject, entry: ManifestEntry | undefined, side: 'source' | 'destination'): string | undefined {
  if (listed.sha256 !== undefined) return listed.sha256;
  if (entry === undefined || entry.size !== listed.size) return undefined;
  return (side === 'source' ? entry.sourceEtag : entry.destinationEtag) === listed.etag ? entry.sha256 : undefined;
}
