import { DocstoreError, type DocstoreErrorOptions, type ErrorContext } from '../errors/docstore-error.js';

/**
 * Typed storage errors. Every adapter translates vendor failures (ENOENT, NoSuchKey, HTTP 412, …)
 * into one of these at its boundary, so callers branch on `code` or on the type guards below,
 * never on message text.
 */

/** The codes of storage errors, one class each below. */
export const STORAGE_ERROR_CODES = [
  'storage.not_found',
  'storage.invalid_key',
  'storage.invalid_range',
  'storage.invalid_argument',
  'storage.precondition_failed',
  'storage.integrity',
  'storage.key_unavailable',
  'storage.permission_denied',
  'storage.invalid_credentials',
  'storage.bucket_not_found',
  'storage.unavailable',
  'storage.aborted',
  'storage.presign_invalid',
  'storage.presign_expired',
  'storage.operation_failed',
  'storage.object_locked',
  'storage.object_lock_unsupported',
  'storage.object_lock_not_enabled',
  'storage.adoption_unsupported',
] as const;

export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[number];

export type { ErrorContext };

type ErrorOptions = DocstoreErrorOptions;

/** A storage error; each code has its subclass, built through its named constructors only. */
export abstract class StorageError<C extends StorageErrorCode = StorageErrorCode> extends DocstoreError<C> {
  protected constructor(code: C, message: string, options: ErrorOptions = {}) {
    super(code, message, options);
  }
}

export class ObjectNotFound extends StorageError<'storage.not_found'> {
  static atKey(key: string, options: ErrorOptions = {}): ObjectNotFound {
    return new ObjectNotFound('storage.not_found', `Object not found: ${key}`, { ...options, context: { key, ...options.context } });
  }
}

export class InvalidKey extends StorageError<'storage.invalid_key'> {
  static because(key: string, reason: string): InvalidKey {
    return new InvalidKey('storage.invalid_key', `Invalid key ${JSON.stringify(key)}: ${reason}`, { context: { key, reason } });
  }
}

export class InvalidRange extends StorageError<'storage.invalid_range'> {
  static forObject(key: string, range: unknown, size?: number, options: ErrorOptions = {}): InvalidRange {
    return new InvalidRange('storage.invalid_range', `Range not satisfiable for ${key}`, { ...options, context: { key, range, size } });
  }
}

export class InvalidArgument extends StorageError<'storage.invalid_argument'> {
  static because(argument: string, reason: string): InvalidArgument {
    return new InvalidArgument('storage.invalid_argument', `Invalid ${argument}: ${reason}`, { context: { argument, reason } });
  }
}

export class PreconditionFailed extends StorageError<'storage.precondition_failed'> {
  static alreadyExists(key: string, options: ErrorOptions = {}): PreconditionFailed {
    return new PreconditionFailed('storage.precondition_failed', `Object already exists: ${key}`, { ...options, context: { key, ...options.context } });
  }
  /** The object is no longer the version a conditional operation named (`CopyOptions.ifSourceMatch`). */
  static changed(key: string, options: ErrorOptions = {}): PreconditionFailed {
    return new PreconditionFailed('storage.precondition_failed', `Object ${key} changed since it was read`, { ...options, context: { key, ...options.context } });
  }
}

export class IntegrityError extends StorageError<'storage.integrity'> {
  static checksumMismatch(key: string, expected: string, actual: string): IntegrityError {
    return new IntegrityError('storage.integrity', `SHA-256 mismatch for ${key}`, { context: { key, expected, actual } });
  }
  static corrupted(key: string, reason: string, options: ErrorOptions = {}): IntegrityError {
    return new IntegrityError('storage.integrity', `Object ${key} is corrupted: ${reason}`, { ...options, context: { key, reason } });
  }
}

/**
 * An encrypted object cannot be opened: its master key is not configured (retired too early, or
 * missing from `DOCSTORE_MASTER_KEYS`), or the configured key of that id does not open its data
 * key (a wrong key, or altered encryption metadata); or, under S3 SSE-C, the server refuses the
 * configured customer key. Never carries key material.
 */
export class KeyUnavailable extends StorageError<'storage.key_unavailable'> {
  static missing(key: string, keyId: string): KeyUnavailable {
    return new KeyUnavailable('storage.key_unavailable', `Object ${key} is encrypted under master key "${keyId}", which is not configured`, {
      context: { key, keyId, reason: 'master key not configured' },
    });
  }
  /** S3 refuses to read an object with the configured SSE-C customer key (`S3_SSE_C_KEY`). */
  static customerKey(key: string, options: ErrorOptions = {}): KeyUnavailable {
    return new KeyUnavailable('storage.key_unavailable', `Object ${key} cannot be read with the configured SSE-C customer key (S3_SSE_C_KEY): it was written under another key`, {
      ...options,
      context: { key, reason: 'SSE-C customer key refused', ...(options as { context?: object }).context },
    });
  }
  static wrong(key: string, keyId: string, options: ErrorOptions = {}): KeyUnavailable {
    return new KeyUnavailable('storage.key_unavailable', `Master key "${keyId}" does not open the data key of ${key} (wrong key, or altered encryption metadata)`, {
      ...options,
      context: { key, keyId, reason: 'master key does not open the data key' },
    });
  }
}

export class PermissionDenied extends StorageError<'storage.permission_denied'> {
  static forOperation(operation: string, target: string, options: ErrorOptions = {}): PermissionDenied {
    return new PermissionDenied('storage.permission_denied', `Permission denied: ${operation} ${target}`, {
      ...options,
      context: { operation, target, ...options.context },
    });
  }
}

export class InvalidCredentials extends StorageError<'storage.invalid_credentials'> {
  static rejectedBy(endpoint: string, options: ErrorOptions = {}): InvalidCredentials {
    return new InvalidCredentials('storage.invalid_credentials', `The storage at ${endpoint} rejected the credentials`, {
      ...options,
      context: { endpoint, ...options.context },
    });
  }
}

export class BucketNotFound extends StorageError<'storage.bucket_not_found'> {
  static named(bucket: string, options: ErrorOptions = {}): BucketNotFound {
    return new BucketNotFound('storage.bucket_not_found', `Bucket does not exist: ${bucket}`, { ...options, context: { bucket, ...options.context } });
  }
}

export class StorageUnavailable extends StorageError<'storage.unavailable'> {
  static because(reason: string, options: ErrorOptions = {}): StorageUnavailable {
    return new StorageUnavailable('storage.unavailable', `Storage unavailable: ${reason}`, { ...options, context: { reason, ...options.context } });
  }
}

export class OperationAborted extends StorageError<'storage.aborted'> {
  static during(operation: string, key: string, options: ErrorOptions = {}): OperationAborted {
    return new OperationAborted('storage.aborted', `${operation} of ${key} was aborted`, {
      ...options,
      context: { operation, key, ...options.context },
    });
  }
}

export class PresignInvalid extends StorageError<'storage.presign_invalid'> {
  static because(reason: string): PresignInvalid {
    return new PresignInvalid('storage.presign_invalid', `Invalid signed link: ${reason}`, { context: { reason } });
  }
}

export class PresignExpired extends StorageError<'storage.presign_expired'> {
  static at(expiresAt: Date): PresignExpired {
    return new PresignExpired('storage.presign_expired', `Signed link expired at ${expiresAt.toISOString()}`, {
      context: { expiresAt: expiresAt.toISOString() },
    });
  }
}

/** A failure no other class describes; `context.operation` names what was attempted. */
export class StorageOperationFailed extends StorageError<'storage.operation_failed'> {
  /** The storage does not do what the configuration asks of it (the reason is in the message). */
  static unsupported(operation: string, reason: string): StorageOperationFailed {
    return new StorageOperationFailed('storage.operation_failed', `Storage operation ${operation} failed: ${reason}`, { context: { operation, reason } });
  }
  static during(operation: string, key: string | undefined, options: ErrorOptions = {}): StorageOperationFailed {
    return new StorageOperationFailed('storage.operation_failed', `Storage operation ${operation}${key === undefined ? '' : ` on ${key}`} failed`, {
      ...options,
      context: { operation, key, ...options.context },
    });
  }
}

/**
 * Object Lock refuses to remove a version: its retain-until date is in the future or a legal hold
 * is placed (`context.retainUntil`, `context.legalHold`, when the storage said). Not a permission
 * problem: nobody can remove it before its date under compliance, and docstore never bypasses
 * governance.
 */
export class ObjectLocked extends StorageError<'storage.object_locked'> {
  static version(key: string, lock: { retainUntil?: Date; legalHold?: boolean; versionId?: string }, options: ErrorOptions = {}): ObjectLocked {
    const reasons = [
      ...(lock.retainUntil === undefined ? [] : [`retained until ${lock.retainUntil.toISOString()}`]),
      ...(lock.legalHold === true ? ['under legal hold'] : []),
    ];
    return new ObjectLocked('storage.object_locked', `Object ${key} is locked${reasons.length === 0 ? '' : ` (${reasons.join(', ')})`}: the storage refuses to remove it`, {
      ...options,
      context: {
        key,
        ...(lock.retainUntil === undefined ? {} : { retainUntil: lock.retainUntil.toISOString() }),
        ...(lock.legalHold === undefined ? {} : { legalHold: lock.legalHold }),
        ...(lock.versionId === undefined ? {} : { versionId: lock.versionId }),
        ...options.context,
      },
    });
  }
}

/**
 * A lock (`retainUntil`, `legalHold`, `extendRetention`, `setLegalHold`) was asked of a storage
 * without Object Lock: the local disk (root can always delete a file), or S3 with
 * `S3_OBJECT_LOCK=off`. Nothing was written.
 */
export class ObjectLockUnsupported extends StorageError<'storage.object_lock_unsupported'> {
  static by(storage: string, operation: string, key: string): ObjectLockUnsupported {
    const why =
      storage === 'local'
        ? 'a local disk cannot lock files (whoever has root, or the account docstore runs as, can delete them): use S3 with S3_OBJECT_LOCK'
        : 'Object Lock is off (S3_OBJECT_LOCK=off)';
    return new ObjectLockUnsupported('storage.object_lock_unsupported', `Storage ${storage} cannot lock ${key}: ${why}`, { context: { storage, operation, key } });
  }
}

/** `adopt` asked of a storage that cannot take foreign content as it is (see `StorageCapabilities.adoptsForeignContent`). */
export class AdoptionUnsupported extends StorageError<'storage.adoption_unsupported'> {
  static by(storage: string, key: string, reason: string): AdoptionUnsupported {
    return new AdoptionUnsupported('storage.adoption_unsupported', `Storage ${storage} cannot adopt foreign content as ${key}: ${reason}`, { context: { storage, key, reason } });
  }
}

/**
 * Start-up: `S3_OBJECT_LOCK` asks for Object Lock, and the bucket does not have it (created
 * without `ObjectLockEnabledForBucket`), has versioning off, or has a default retention rule
 * (which would also lock docstore's temporary objects). docstore refuses to start.
 */
export class ObjectLockNotEnabled extends StorageError<'storage.object_lock_not_enabled'> {
  static onBucket(bucket: string, mode: string, reason: string, options: ErrorOptions = {}): ObjectLockNotEnabled {
    return new ObjectLockNotEnabled('storage.object_lock_not_enabled', `S3_OBJECT_LOCK=${mode} but bucket ${bucket} ${reason}`, {
      ...options,
      context: { bucket, variable: 'S3_OBJECT_LOCK', mode, reason, ...options.context },
    });
  }
}

export function isStorageError(error: unknown): error is StorageError {
  return error instanceof StorageError;
}

export function hasStorageCode(error: unknown, code: StorageErrorCode): error is StorageError {
  return isStorageError(error) && error.code === code;
}

export function isNotFound(error: unknown): error is ObjectNotFound {
  return hasStorageCode(error, 'storage.not_found');
}
