import { createHash } from 'node:crypto';
import { ARCHIVE_FILES } from './archive-layout.js';
import { manifestSchema, type ArchiveManifest } from './archive-manifest.js';
import type { ArchiveReader } from './archive-reader.js';
import { verifyDetached, type VerificationKey } from './archive-signature.js';
import { HandoverError } from '../handover-errors.js';

/** An archive whose signature and every file's SHA-256 checked out. */
export interface VerifiedArchive {
  /** The root folder inside the ZIP. */
  root: string;
  manifest: ArchiveManifest;
  /** Fingerprint of the key that signed it. */
  fingerprint: string;
  /** Every listed file (path under the root) and its SHA-256. */
  checksums: Map<string, string>;
}

export interface VerificationProgress {
  files: number;
  filesTotal: number;
  bytes: number;
  bytesTotal: number;
}

const MAX_TEXT_BYTES = 256 * 1024 * 1024;

/** Reads `SHA256SUMS` (`<hex>  <path>` or `<hex> *<path>` lines). */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (match === null || match[1] === undefined || match[2] === undefined) throw HandoverError.archiveInvalid(`SHA256SUMS line ${index + 1} is not "<sha256>  <path>"`);
    if (sums.has(match[2])) throw HandoverError.archiveInvalid(`SHA256SUMS lists ${match[2]} twice`);
    sums.set(match[2], match[1]);
  }
  return sums;
}

/**
 * Checks a handover archive before anything of it is used: `SHA256SUMS` signed by one of `keys`,
 * then every file read to its end and hashed — each file listed and each listed file present.
 * Every mismatch is collected, so the refusal (`handover.checksum_mismatch`) names all of them.
 * Memory: one chunk and the list of paths.
 */
export async function verifyArchive(reader: ArchiveReader, keys: readonly VerificationKey[], onProgress?: (progress: VerificationProgress) => void): Promise<VerifiedArchive> {
  const entries = reader.entries();
  const roots = new Set(entries.map((entry) => entry.name.split('/')[0]));
  const [root] = roots;
  if (roots.size !== 1 || root === undefined || !entries.every((entry) => entry.name.includes('/'))) throw HandoverError.archiveInvalid('its files are not all in one folder');
  const checksumsName = `${root}/${ARCHIVE_FILES.checksums}`;
  const signatureName = `${root}/${ARCHIVE_FILES.signature}`;
  if (!reader.has(checksumsName)) throw HandoverError.archiveInvalid(`${ARCHIVE_FILES.checksums} is missing`);
  if (!reader.has(signatureName)) throw HandoverError.signatureInvalid(`${ARCHIVE_FILES.signature} is missing`);
  const checksumBytes = await reader.readSmall(checksumsName, MAX_TEXT_BYTES);
  const signature = (await reader.readSmall(signatureName, 1024 * 1024)).toString('utf8');
  const fingerprint = await verifyDetached(checksumBytes, signature, keys);
  const checksums = parseChecksums(checksumBytes.toString('utf8'));

  const problems: Array<{ path: string; problem: 'mismatch' | 'missing' | 'unlisted' }> = [];
  const files = entries.filter((entry) => entry.name !== checksumsName && entry.name !== signatureName);
  const progress: VerificationProgress = { files: 0, filesTotal: files.length, bytes: 0, bytesTotal: files.reduce((sum, entry) => sum + entry.size, 0) };
  for (const path of checksums.keys()) if (!reader.has(`${root}/${path}`)) problems.push({ path, problem: 'missing' });
  for (const entry of files) {
    const path = entry.name.slice(root.length + 1);
    const expected = checksums.get(path);
    if (expected === undefined) {
      problems.push({ path, problem: 'unlisted' });
      continue;
    }
    const hash = createHash('sha256');
    try {
      for await (const chunk of await reader.read(entry.name)) {
        hash.update(chunk as Buffer);
        progress.bytes += (chunk as Buffer).length;
      }
      if (hash.digest('hex') !== expected) problems.push({ path, problem: 'mismatch' });
    } catch {
      // A CRC or size error of the ZIP entry: its bytes are not the ones listed.
      problems.push({ path, problem: 'mismatch' });
    }
    progress.files++;
    onProgress?.({ ...progress });
  }
  if (problems.length > 0) throw HandoverError.checksumMismatch(problems);

  const manifestText = (await reader.readSmall(`${root}/${ARCHIVE_FILES.manifestJson}`, MAX_TEXT_BYTES)).toString('utf8');
  let manifest: ArchiveManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(manifestText));
  } catch (error) {
    throw HandoverError.archiveInvalid(`manifest.json does not describe a handover archive of format 1 (${error instanceof Error ? error.message.slice(0, 300) : String(error)})`, error);
  }
  for (const document of manifest.documents) {
    for (const version of document.versions) {
      if (checksums.get(version.path) !== version.sha256) throw HandoverError.archiveInvalid(`manifest.json: ${version.path} is not listed in SHA256SUMS with the SHA-256 of document ${document.id} version ${version.version}`);
    }
  }
  return { root, manifest, fingerprint, checksums };
}
