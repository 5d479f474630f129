import type { GetObjectCommandOutput, HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { ObjectInfo, ObjectLockState } from '../object-storage.js';
import { DEFAULT_CONTENT_TYPE } from '../object-options.js';

/** User-metadata key under which the S3 adapter stores the content's SHA-256 (`x-amz-meta-docstore-sha256`). */
export const SHA256_METADATA_KEY = 'docstore-sha256';

const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;
const ENCODED_WORD = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i;

/**
 * Encodes user metadata for S3 headers. Values that are not printable ASCII (or that look like an
 * encoded word themselves) travel as RFC 2047 encoded words, the form AWS itself returns for
 * non-ASCII metadata, so that every server stores them intact.
 */
export function encodeMetadata(metadata: Record<string, string>, sha256?: string): Record<string, string> {
  const encoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    encoded[key] =
      PRINTABLE_ASCII.test(value) && !value.startsWith('=?')
        ? value
        : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
  }
  if (sha256 !== undefined) encoded[SHA256_METADATA_KEY] = sha256;
  return encoded;
}

export function decodeMetadata(metadata: Record<string, string> | undefined): { metadata: Record<string, string>; sha256?: string } {
  const decoded: Record<string, string> = {};
  let sha256: string | undefined;
  for (const [rawKey, value] of Object.entries(metadata ?? {})) {
    const key = rawKey.toLowerCase();
    if (key === SHA256_METADATA_KEY) {
      sha256 = value;
      continue;
    }
    const match = ENCODED_WORD.exec(value);
    decoded[key] = match === null ? value : Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  }
  return sha256 === undefined ? { metadata: decoded } : { metadata: decoded, sha256 };
}

/** Strips the quotes S3 puts around entity tags. */
export function unquoteEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

export function objectInfoFrom(
  key: string,
  size: number,
  output: Pick<HeadObjectCommandOutput | GetObjectCommandOutput, 'LastModified' | 'ETag' | 'ContentType' | 'ContentDisposition' | 'Metadata'> & Partial<ObjectLockHeaders>,
): ObjectInfo {
  const { metadata, sha256 } = decodeMetadata(output.Metadata);
  const lock = objectLockOf(output);
  return {
    key,
    size,
    lastModified: output.LastModified ?? new Date(0),
    etag: unquoteEtag(output.ETag),
    contentType: output.ContentType ?? DEFAULT_CONTENT_TYPE,
    ...(output.ContentDisposition === undefined || output.ContentDisposition === '' ? {} : { contentDisposition: output.ContentDisposition }),
    metadata,
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(lock === undefined ? {} : { lock }),
  };
}

/** The Object Lock headers of a HEAD or GET response (of one version). */
export type ObjectLockHeaders = Pick<HeadObjectCommandOutput, 'ObjectLockMode' | 'ObjectLockRetainUntilDate' | 'ObjectLockLegalHoldStatus'>;

/** The Object Lock a HEAD or GET response reports, or undefined when the version has neither a retention nor a legal hold. */
export function objectLockOf(output: Partial<ObjectLockHeaders>): ObjectLockState | undefined {
  const legalHold = output.ObjectLockLegalHoldStatus === 'ON';
  const retainUntil = output.ObjectLockRetainUntilDate;
  if (retainUntil === undefined && !legalHold) return undefined;
  const mode = output.ObjectLockMode === 'COMPLIANCE' ? 'compliance' : output.ObjectLockMode === 'GOVERNANCE' ? 'governance' : undefined;
  return { legalHold, ...(retainUntil === undefined ? {} : { retainUntil }), ...(mode === undefined ? {} : { mode }) };
}

/** Parses `bytes START-END/TOTAL`. */
export function parseContentRange(header: string | undefined): { start: number; end: number; total: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? '');
  if (match === null) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) };
}
