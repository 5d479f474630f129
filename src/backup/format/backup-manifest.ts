import { createHash, createHmac } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { SignedCheckpoint } from '../../audit/evidence/audit-checkpoint.js';
import type { DumpFormat } from './database-dump.js';
import { BackupError } from '../backup-errors.js';
import { paddedLength } from './padding.js';

/**
 * The private part of a snapshot, encrypted like a document: what each blob holds. Only a holder of
 * a recipient's private key can read it (restore, `verify --read-data`).
 */
export interface Manifest {
  format: 'docstore-backup-manifest';
  version: 1;
  snapshotId: string;
  time: string;
  docstoreVersion: string;
  /** The storage backend and database dialect the snapshot was taken from. */
  source: { storage: string; database: 'sqlite' | 'postgres' };
  database: { format: DumpFormat; blob: string; size: number; sha256: string };
  objects: ManifestObject[];
  /**
   * The latest signed checkpoint of each audit chain when the snapshot was taken (absent from
   * snapshots of before the audit trail): `docstore audit verify --backup` checks the database
   * against every snapshot's, so that a rewritten database cannot rewrite history unnoticed.
   */
  auditCheckpoints?: SignedCheckpoint[];
}

export interface ManifestObject {
  key: string;
  /** Plaintext size and SHA-256 (lower-case hex). */
  size: number;
  sha256: string;
  blob: string;
  contentType: string;
  contentDisposition?: string;
  metadata: Record<string, string>;
  lastModified: string;
}

/** A blob's name: the HMAC-SHA256 of the plaintext's SHA-256 under the repository's secret naming key. */
export function blobName(namingKey: Buffer, plaintextSha256: string): string {
  return createHmac('sha256', namingKey).update(`sha256:${plaintextSha256}`).digest('hex');
}

/** The manifest as bytes, padded with JSON whitespace so that its size leaks as little as a document's. */
export function encodeManifest(manifest: Manifest): Buffer {
  const json = Buffer.from(JSON.stringify(manifest), 'utf8');
  return Buffer.concat([json, Buffer.alloc(paddedLength(json.length) - json.length, 0x20)]);
}

export function decodeManifest(bytes: Uint8Array): Manifest {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as Manifest;
  } catch (error) {
    throw BackupError.integrity('the snapshot manifest', 'is not valid JSON', error);
  }
  if (manifest.format !== 'docstore-backup-manifest' || manifest.version !== 1) throw BackupError.integrity('the snapshot manifest', 'has an unknown format');
  return manifest;
}

/** SHA-256 of what streams through, checked against `expected` at the end (the stream fails on a mismatch). */
export function expectSha256(expected: string | undefined, describe: (actual: string) => Error): Transform & { digest(): string } {
  const hash = createHash('sha256');
  let digest = '';
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      digest = hash.digest('hex');
      callback(expected === undefined || digest === expected ? null : describe(digest));
    },
  });
  return Object.assign(transform, { digest: () => digest });
}
