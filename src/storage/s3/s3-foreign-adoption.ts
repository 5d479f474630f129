import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand, type AbortMultipartUploadCommand, type CopyObjectCommandOutput, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { ValidatedPutOptions } from '../object-options.js';
import type { PutResult } from '../object-storage.js';
import { IntegrityError, PreconditionFailed } from '../storage-errors.js';
import { copyInParts } from './s3-multipart-copy.js';
import { encodeMetadata, unquoteEtag } from './s3-metadata.js';
import type { S3ObjectReader } from './s3-object-reader.js';
import type { S3RequestContext } from './s3-request-context.js';

/** Largest object one CopyObject copies (the S3 limit); above it, UploadPartCopy parts. */
const COPY_OBJECT_MAX_BYTES = 5 * 1024 * 1024 * 1024;
/** Part size of a multipart copy of a larger source. */
const COPY_PART_BYTES = 1024 * 1024 * 1024;

/**
 * `ObjectStorage.adopt` for the S3 adapter, without server-side encryption or Object Lock (it says
 * so in `capabilities.adoptsForeignContent`): the foreign object's length is checked (HEAD), then it
 * is copied inside the backend onto `key` with the object's description and SHA-256 in its
 * metadata (one CopyObject, or UploadPartCopy parts above 5 GiB), bound to the version seen,
 * create-only (the key checked first, since Ceph RGW 16 ignores `If-None-Match` on a copy, and the
 * header sent all the same), then the source is removed. The bytes never leave the backend.
 */
export async function adoptForeignObject(
  context: S3RequestContext,
  reader: S3ObjectReader,
  sourceKey: string,
  key: string,
  options: ValidatedPutOptions & { size: number; sha256: string },
): Promise<PutResult> {
  const sourceObjectKey = context.objectKey(sourceKey);
  const head = await context.send<HeadObjectCommandOutput>('adopt', sourceKey, new HeadObjectCommand({ Bucket: context.bucket, Key: sourceObjectKey }));
  const size = head.ContentLength ?? 0;
  if (size !== options.size) throw IntegrityError.corrupted(sourceKey, `foreign content of ${size} bytes where ${options.size} were expected`);
  if (await reader.exists(key)) throw PreconditionFailed.alreadyExists(key);
  const description = {
    ContentType: options.contentType,
    ...(options.contentDisposition === undefined ? {} : { ContentDisposition: options.contentDisposition }),
    Metadata: encodeMetadata(options.metadata, options.sha256),
  };
  let etag: string | undefined;
  let lastModified: Date | undefined;
  if (size > COPY_OBJECT_MAX_BYTES) {
    const send = <Output>(command: object) => context.send<Output>('adopt', key, command);
    const parts = { bucket: context.bucket, send, abort: (command: AbortMultipartUploadCommand) => context.client.send(command), partBytes: COPY_PART_BYTES, sse: context.sse };
    await copyInParts(parts, context.copySource(sourceObjectKey), context.objectKey(key), size, description, head.ETag);
  } else {
    const output = await context.send<CopyObjectCommandOutput>(
      'adopt',
      sourceKey,
      new CopyObjectCommand({
        Bucket: context.bucket,
        Key: context.objectKey(key),
        CopySource: context.copySource(sourceObjectKey),
        MetadataDirective: 'REPLACE',
        ...description,
        IfNoneMatch: '*',
        ...(head.ETag === undefined ? {} : { CopySourceIfMatch: head.ETag }),
      }),
      undefined,
      key,
    );
    etag = output.CopyObjectResult?.ETag;
    lastModified = output.CopyObjectResult?.LastModified;
  }
  // The object exists: a source left behind is its writer's to remove (tus removes it after completion).
  await context.sendIgnoringFailure(new DeleteObjectCommand({ Bucket: context.bucket, Key: sourceObjectKey }));
  if (etag && lastModified !== undefined) return { key, size, etag: unquoteEtag(etag), sha256: options.sha256, lastModified };
  const info = await reader.stat(key);
  return { key, size, etag: info.etag, sha256: options.sha256, lastModified: info.lastModified };
}
