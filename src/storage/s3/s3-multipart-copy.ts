import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCopyCommand,
  type CreateMultipartUploadCommandOutput,
  type UploadPartCopyCommandOutput,
} from '@aws-sdk/client-s3';
import { copySourceEncryptionParams, writeEncryptionParams, type S3ServerSideEncryption } from './s3-server-side-encryption.js';

export interface PartCopyContext {
  bucket: string;
  /** Sends a command, translating failures. */
  send<Output>(command: object): Promise<Output>;
  /** Sends the abort of a failed upload (its own failure is ignored). */
  abort(command: AbortMultipartUploadCommand): Promise<unknown>;
  partBytes: number;
  sse: S3ServerSideEncryption;
}

/**
 * Server-side copy as a multipart upload whose parts are UploadPartCopy ranges of the source, with
 * a new description (content type, disposition, metadata) and the configured encryption. An empty
 * source becomes an empty PutObject. With `sourceEtag` (quoted, as S3 returns it), every part is
 * copied only from that version of the source. Any failure aborts the upload: nothing is published.
 */
export async function copyInParts(
  context: PartCopyContext,
  copySource: string,
  objectKey: string,
  size: number,
  description: Record<string, unknown>,
  sourceEtag?: string,
): Promise<void> {
  const { bucket, sse } = context;
  if (size === 0) {
    await context.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: Buffer.alloc(0), ContentLength: 0, ...description, ...writeEncryptionParams(sse) }));
    return;
  }
  const created = await context.send<CreateMultipartUploadCommandOutput>(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: objectKey, ...description, ...writeEncryptionParams(sse) }),
  );
  const uploadId = created.UploadId as string;
  try {
    const parts: Array<{ PartNumber: number; ETag: string }> = [];
    for (let offset = 0, partNumber = 1; offset < size; offset += context.partBytes, partNumber++) {
      const end = Math.min(size, offset + context.partBytes) - 1;
      const copied = await context.send<UploadPartCopyCommandOutput>(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: objectKey,
          UploadId: uploadId,
          PartNumber: partNumber,
          CopySource: copySource,
          CopySourceRange: `bytes=${offset}-${end}`,
          ...(sourceEtag === undefined ? {} : { CopySourceIfMatch: sourceEtag }),
          ...writeEncryptionParams(sse),
          ...copySourceEncryptionParams(sse),
        }),
      );
      parts.push({ PartNumber: partNumber, ETag: copied.CopyPartResult?.ETag ?? '' });
    }
    await context.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    await context.abort(new AbortMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}
