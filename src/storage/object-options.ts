import { InvalidArgument, InvalidRange } from './storage-errors.js';
import type { AdoptOptions, ByteRange, CopyOptions, PutOptions } from './object-storage.js';

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Largest total of user metadata keys and values, in UTF-8 bytes (the S3 limit). */
export const MAX_METADATA_BYTES = 2048;

/** Longest lifetime of a presigned URL (the S3 limit for SigV4). */
export const MAX_PRESIGN_SECONDS = 604_800;

/** Metadata keys docstore stores for itself; user metadata cannot use them. */
export const RESERVED_METADATA_PREFIX = 'docstore-';

const METADATA_KEY = /^[a-z0-9][a-z0-9-]*$/;
const HEADER_VALUE = /^[\u0020-\u007e]*$/;

export interface ValidatedPutOptions {
  contentType: string;
  contentDisposition?: string;
  metadata: Record<string, string>;
  /** `PutOptions.systemMetadata`: call through `completeMetadata` once the body is read. */
  systemMetadata?: () => Record<string, string>;
}

/**
 * The metadata to store: the user's, plus a decorator's reserved `docstore-` entries (see
 * `PutOptions.systemMetadata`), which must be called only after the body has been read to its end.
 */
export function completeMetadata(options: ValidatedPutOptions): Record<string, string> {
  return options.systemMetadata === undefined ? options.metadata : withSystemMetadata(options.metadata, options.systemMetadata());
}

/** `metadata` with a decorator's reserved entries over it (`PutOptions`/`CopyOptions.systemMetadata`), validated. */
export function withSystemMetadata(metadata: Record<string, string>, system: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(system)) {
    if (!key.startsWith(RESERVED_METADATA_PREFIX) || !METADATA_KEY.test(key) || key === 'docstore-sha256' || !HEADER_VALUE.test(value)) {
      throw InvalidArgument.because(`system metadata key ${JSON.stringify(key)}`, `must start with "${RESERVED_METADATA_PREFIX}", not be docstore-sha256, and have a printable ASCII value`);
    }
  }
  return { ...metadata, ...system };
}

/** The descriptive options without the system-metadata callback (what an adapter stores). */
export function storedDescription(options: ValidatedPutOptions): Omit<ValidatedPutOptions, 'systemMetadata'> {
  return {
    contentType: options.contentType,
    ...(options.contentDisposition === undefined ? {} : { contentDisposition: options.contentDisposition }),
    metadata: completeMetadata(options),
  };
}

function validateIfNoneMatch(ifNoneMatch: string | undefined): void {
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*') throw InvalidArgument.because('ifNoneMatch', 'only "*" is supported');
}

/** Validates copy options the same way for every adapter (before anything is read or written). */
export function validateCopyOptions(options: CopyOptions): void {
  validateIfNoneMatch(options.ifNoneMatch);
  if (options.ifSourceMatch !== undefined && (options.ifSourceMatch === '' || !HEADER_VALUE.test(options.ifSourceMatch))) {
    throw InvalidArgument.because('ifSourceMatch', 'must be an entity tag as stat reports it');
  }
  if (options.systemMetadata !== undefined) withSystemMetadata({}, options.systemMetadata);
}

/** Validates the descriptive put options the same way for every adapter. */
export function validatePutOptions(options: PutOptions = {}): ValidatedPutOptions {
  const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
  assertHeaderValue('contentType', contentType);
  if (contentType.trim() === '') throw InvalidArgument.because('contentType', 'must not be empty');
  if (options.contentDisposition !== undefined) assertHeaderValue('contentDisposition', options.contentDisposition);
  if (options.expectedSha256 !== undefined && !/^[0-9a-f]{64}$/.test(options.expectedSha256)) {
    throw InvalidArgument.because('expectedSha256', 'must be 64 lower-case hex digits');
  }
  validateIfNoneMatch(options.ifNoneMatch);
  const metadata = validateMetadata(options.metadata ?? {});
  return {
    contentType,
    ...(options.contentDisposition === undefined ? {} : { contentDisposition: options.contentDisposition }),
    metadata,
    ...(options.systemMetadata === undefined ? {} : { systemMetadata: options.systemMetadata }),
  };
}

/** Validates `adopt`'s options the same way for every adapter (before anything is touched): a put's description, a size and a SHA-256. */
export function validateAdoptOptions(options: AdoptOptions): ValidatedPutOptions & { size: number; sha256: string } {
  if (!Number.isSafeInteger(options.size) || options.size < 0) throw InvalidArgument.because('size', 'must be a whole number of bytes');
  if (!/^[0-9a-f]{64}$/.test(options.sha256)) throw InvalidArgument.because('sha256', 'must be 64 lower-case hex digits');
  const { contentType, contentDisposition, metadata } = options;
  const described = validatePutOptions({ ...(contentType === undefined ? {} : { contentType }), ...(contentDisposition === undefined ? {} : { contentDisposition }), ...(metadata === undefined ? {} : { metadata }) });
  return { ...described, size: options.size, sha256: options.sha256 };
}

export function validateMetadata(metadata: Record<string, string>): Record<string, string> {
  let bytes = 0;
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(key)) {
      throw InvalidArgument.because(`metadata key ${JSON.stringify(key)}`, 'use lower-case letters, digits and "-"');
    }
    if (key.startsWith(RESERVED_METADATA_PREFIX)) {
      throw InvalidArgument.because(`metadata key ${JSON.stringify(key)}`, `the prefix "${RESERVED_METADATA_PREFIX}" is reserved`);
    }
    if (typeof value !== 'string' || !value.isWellFormed()) {
      throw InvalidArgument.because(`metadata value of ${key}`, 'must be a well-formed string');
    }
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    result[key] = value;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw InvalidArgument.because('metadata', `${bytes} bytes in all, more than ${MAX_METADATA_BYTES}`);
  }
  return result;
}

export function assertHeaderValue(name: string, value: unknown): void {
  if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
    throw InvalidArgument.because(name, 'must be printable ASCII (use RFC 6266 filename* for Unicode names)');
  }
}

/** Checks the shape of a range before any request is made. */
export function validateRange(range: ByteRange): void {
  if ('suffix' in range) {
    if (!Number.isSafeInteger(range.suffix) || range.suffix < 1) {
      throw InvalidArgument.because('range.suffix', 'must be a whole number of at least 1');
    }
    return;
  }
  if (!Number.isSafeInteger(range.start) || range.start < 0) {
    throw InvalidArgument.because('range.start', 'must be a whole number of at least 0');
  }
  if (range.end !== undefined && (!Number.isSafeInteger(range.end) || range.end < range.start)) {
    throw InvalidArgument.because('range.end', 'must be a whole number not below range.start');
  }
}

/**
 * Resolves a range against an object's size into inclusive offsets, with S3's semantics: `end`
 * is clamped to the last byte, a suffix larger than the object selects all of it, and a start at
 * or beyond the end (or any range of an empty object) is not satisfiable.
 */
export function resolveRange(key: string, range: ByteRange, size: number): { start: number; end: number } {
  validateRange(range);
  if ('suffix' in range) {
    if (size === 0) throw InvalidRange.forObject(key, range, size);
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  if (range.start >= size) throw InvalidRange.forObject(key, range, size);
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

export function validateExpiresIn(expiresInSeconds: number): void {
  if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
    throw InvalidArgument.because('expiresInSeconds', `must be a whole number from 1 to ${MAX_PRESIGN_SECONDS}`);
  }
}
