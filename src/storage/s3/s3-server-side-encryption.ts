/**
 * Server-side encryption of the S3 adapter: keys managed by the provider (`AES256`, SSE-S3), by its
 * KMS (`aws:kms`), or a customer key sent with every request (`SSE-C`: the provider encrypts with it
 * and keeps only a salted HMAC of it; reading, and every copy, needs the key again).
 */
export type S3ServerSideEncryption =
  | { mode: 'none' }
  | { mode: 'AES256' }
  | { mode: 'aws:kms'; kmsKeyId: string }
  | { mode: 'SSE-C'; customerKey: Buffer };

/** Parameters of a request that writes an object (PutObject, CreateMultipartUpload, CopyObject, UploadPart). */
export function writeEncryptionParams(sse: S3ServerSideEncryption): Record<string, string> {
  switch (sse.mode) {
    case 'none':
      return {};
    case 'AES256':
      return { ServerSideEncryption: 'AES256' };
    case 'aws:kms':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: sse.kmsKeyId };
    case 'SSE-C':
      return customerKeyParams(sse.customerKey, 'SSECustomer');
  }
}

/** Parameters of a request that reads an object (GetObject, HeadObject): only SSE-C needs any. */
export function readEncryptionParams(sse: S3ServerSideEncryption): Record<string, string> {
  return sse.mode === 'SSE-C' ? customerKeyParams(sse.customerKey, 'SSECustomer') : {};
}

/** Parameters naming the key of a copy's source (CopyObject, UploadPartCopy). */
export function copySourceEncryptionParams(sse: S3ServerSideEncryption): Record<string, string> {
  return sse.mode === 'SSE-C' ? customerKeyParams(sse.customerKey, 'CopySourceSSECustomer') : {};
}

function customerKeyParams(key: Buffer, prefix: 'SSECustomer' | 'CopySourceSSECustomer'): Record<string, string> {
  // The SDK adds the key's MD5 (…KeyMD5) itself.
  return { [`${prefix}Algorithm`]: 'AES256', [`${prefix}Key`]: key.toString('base64') };
}

/** What a HeadObject says about an object's encryption. */
interface EncryptionReport {
  ServerSideEncryption?: string;
  SSECustomerAlgorithm?: string;
}

/**
 * Whether a HeadObject of an object written with `sse` shows that the server applied it. Some
 * servers accept the header and ignore it: Ceph RGW before 17 stores SSE-S3 (`AES256`) objects
 * unencrypted.
 */
export function encryptionApplied(sse: S3ServerSideEncryption, head: EncryptionReport): boolean {
  switch (sse.mode) {
    case 'none':
      return true;
    case 'SSE-C':
      return head.SSECustomerAlgorithm === 'AES256';
    default:
      return head.ServerSideEncryption === sse.mode;
  }
}
