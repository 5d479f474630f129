import { webcrypto } from 'node:crypto';
import type { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { sha256Of } from '../put-body.js';

/** From this size on, a body in memory is hashed on libuv's thread pool rather than on the event loop. */
const OFF_THREAD_BYTES = 1024 * 1024;

/**
 * SHA-256 (lower-case hex) of bytes in memory. A large body is hashed by WebCrypto on the thread
 * pool, so the event loop goes on streaming the other transfers meanwhile; a small one here, where
 * handing it over would cost more than hashing it.
 */
export async function sha256OfBytes(bytes: Uint8Array): Promise<string> {
  if (bytes.byteLength < OFF_THREAD_BYTES) return sha256Of(bytes);
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

/**
 * Gives SigV4 the body's SHA-256 (hex), already computed, as the payload hash
 * (`x-amz-content-sha256`): the signer takes the header when present instead of hashing the body
 * again on the event loop. The server still checks it against the bytes it receives
 * (`XAmzContentSHA256Mismatch` otherwise).
 */
export function signedWithPayloadSha256<C extends PutObjectCommand | UploadPartCommand>(command: C, sha256: string): C {
  (command as PutObjectCommand).middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers !== undefined) request.headers['x-amz-content-sha256'] = sha256;
      return next(args);
    },
    { step: 'build', name: 'docstorePayloadSha256' },
  );
  return command;
}
