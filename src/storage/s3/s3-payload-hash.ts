import type { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';

/**
 * Gives SigV4 the body's SHA-256 (hex), already computed, as the payload hash
 * (`x-amz-content-sha256`): the signer takes the header when present instead of hashing the body
 * a second time. The server still checks it against the bytes it receives
 * (`XAmzContentSHA256Mismatch` otherwise).
 */
export function signedWithPayloadSha256<Command extends PutObjectCommand | UploadPartCommand>(command: Command, sha256: string): Command {
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
