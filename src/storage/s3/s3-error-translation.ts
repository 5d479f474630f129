import {
  BucketNotFound,
  InvalidCredentials,
  InvalidRange,
  KeyUnavailable,
  ObjectNotFound,
  OperationAborted,
  PermissionDenied,
  PreconditionFailed,
  StorageOperationFailed,
  StorageUnavailable,
  isStorageError,
  type StorageError,
} from '../storage-errors.js';

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export interface S3ErrorScope {
  operation: string;
  /** The docstore key the operation concerns (without the adapter's key prefix). */
  key?: string;
  bucket: string;
  endpoint: string;
  /** The request sent an SSE-C customer key to read an object (get, stat, copy source). */
  readsWithCustomerKey?: boolean;
}

/** Translates an error thrown by the S3 SDK into a StorageError, at the adapter boundary. */
export function translateS3Error(error: unknown, scope: S3ErrorScope, signal?: AbortSignal): StorageError {
  if (isStorageError(error)) return error;
  const e = (error ?? {}) as SdkError;
  const name = e.name ?? e.Code ?? '';
  const status = e.$metadata?.httpStatusCode;
  const key = scope.key ?? '';
  const options = { cause: error, context: { operation: scope.operation, bucket: scope.bucket, s3Error: name, status } };
  if (signal?.aborted === true || name === 'AbortError') return OperationAborted.during(scope.operation, key, options);
  if (name === 'NoSuchBucket') return BucketNotFound.named(scope.bucket, options);
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchUpload')) {
    return ObjectNotFound.atKey(key, options);
  }
  if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412) {
    return PreconditionFailed.alreadyExists(key, options);
  }
  if (name === 'InvalidRange' || status === 416) return InvalidRange.forObject(key, undefined, undefined, options);
  // A read with a customer key fails with 400 when the object was written under another key (or
  // none): Ceph RGW says InvalidArgument ("The calculated MD5 hash of the key did not match"), or
  // nothing on HEAD; AWS InvalidRequest. docstore's reads send nothing else a server could refuse.
  if (scope.readsWithCustomerKey === true && status === 400) return KeyUnavailable.customerKey(key, options);
  if (
    name === 'InvalidAccessKeyId' ||
    name === 'SignatureDoesNotMatch' ||
    name === 'InvalidToken' ||
    name === 'ExpiredToken' ||
    name === 'AuthorizationHeaderMalformed'
  ) {
    return InvalidCredentials.rejectedBy(scope.endpoint, options);
  }
  if (name === 'AccessDenied' || status === 403) return PermissionDenied.forOperation(scope.operation, key || scope.bucket, options);
  if (NETWORK_ERROR_CODES.has(e.code ?? '') || NETWORK_ERROR_CODES.has(name)) {
    return StorageUnavailable.because(`endpoint ${scope.endpoint} is unreachable (${e.code ?? name})`, options);
  }
  if (
    name === 'TimeoutError' ||
    name === 'RequestTimeout' ||
    name === 'SlowDown' ||
    (status !== undefined && status >= 500)
  ) {
    return StorageUnavailable.because(`${scope.operation} failed at ${scope.endpoint}`, options);
  }
  return StorageOperationFailed.during(scope.operation, scope.key, options);
}
