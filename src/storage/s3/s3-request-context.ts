import { randomUUID } from 'node:crypto';
import type { PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import type { S3ServerSideEncryption } from './s3-server-side-encryption.js';
import { S3DirectUpload, type DirectUploadInput } from './s3-direct-upload.js';
import { translateS3Error } from './s3-error-translation.js';
import { signedWithPayloadSha256 } from './s3-payload-hash.js';

/** Streams larger than one part whose SHA-256 is not known beforehand are uploaded under this prefix, then copied into place with it. */
const TEMP_PREFIX = '\\docstore-tmp/';
/** Operations whose requests read an object (under SSE-C, with the customer key). */
const READS = new Set(['get', 'stat', 'copy']);

export interface S3RequestContextOptions {
  client: S3Client;
  bucket: string;
  /** Normalised key prefix (empty, or ending in `/`). */
  keyPrefix: string;
  /** Endpoint shown in errors (never credentials). */
  endpoint: string;
  sse: S3ServerSideEncryption;
  /** Uploads carry their body's MD5 (`Content-MD5`), as AWS requires under Object Lock. @default false */
  contentMd5OnUploads?: boolean;
}

/**
 * What every request of the S3 adapter needs, shared by its reader, writer and maintenance: the
 * client, the bucket, the key prefix (keys to object keys and back), the server-side encryption,
 * and `send`, which translates a failure into a `StorageError`. It knows nothing of the adapter's
 * operations, so dependencies run one way: adapter → reader, writer → this.
 */
export class S3RequestContext {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly endpoint: string;
  readonly sse: S3ServerSideEncryption;
  /** Full object key prefix of temporary objects: hidden from listings, removed when stale. */
  readonly temporaryPrefix: string;
  private readonly direct: S3DirectUpload;

  constructor(options: S3RequestContextOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.keyPrefix = options.keyPrefix;
    this.endpoint = options.endpoint;
    this.sse = options.sse;
    this.temporaryPrefix = options.keyPrefix + TEMP_PREFIX;
    this.direct = new S3DirectUpload(options.client, options.bucket, { contentMd5: options.contentMd5OnUploads === true });
  }

  /**
   * Sends a PutObject or UploadPart whose body is in memory: straight to the endpoint
   * (`S3DirectUpload`), or, when that did not succeed, through the SDK like `send`. `payloadSha256`
   * is the body's SHA-256 (hex) when already known: it is signed instead of hashing the body again.
   */
  async upload<Output>(operation: string, key: string, command: PutObjectCommand | UploadPartCommand, signal?: AbortSignal, payloadSha256?: string): Promise<Output> {
    const output = await this.direct.upload(command.input as DirectUploadInput, payloadSha256, signal);
    if (output !== undefined) return output as Output;
    return this.send<Output>(operation, key, payloadSha256 === undefined ? command : signedWithPayloadSha256(command, payloadSha256), signal);
  }

  /** Sends one command, translating its failure; `errorKey` names the key a conflict concerns. */
  async send<Output>(operation: string, key: string | undefined, command: object, signal?: AbortSignal, errorKey?: string): Promise<Output> {
    try {
      const send = this.client.send.bind(this.client) as (command: object, options: object) => Promise<Output>;
      return await send(command, signal === undefined ? {} : { abortSignal: signal });
    } catch (error) {
      const conflictKey = errorKey ?? key;
      const scope = { operation, key, bucket: this.bucket, endpoint: this.endpoint, readsWithCustomerKey: this.sse.mode === 'SSE-C' && READS.has(operation) };
      const translated = translateS3Error(error, scope, signal);
      if (translated.code === 'storage.precondition_failed' && conflictKey !== key) {
        throw translateS3Error(error, { ...scope, key: conflictKey }, signal);
      }
      throw translated;
    }
  }

  /**
   * Sends a command whose failure is of no consequence (removing a temporary object, aborting a
   * failed upload): what it leaves behind is removed by `removeStaleUploads` at the next start.
   */
  async sendIgnoringFailure(command: object): Promise<void> {
    const send = this.client.send.bind(this.client) as (command: object) => Promise<unknown>;
    await send(command).catch(() => undefined);
  }

  /** The full object key of a storage key. */
  objectKey(key: string): string {
    return this.keyPrefix + key;
  }

  /** The storage key of a full object key. */
  fromObjectKey(objectKey: string): string {
    return objectKey.startsWith(this.keyPrefix) ? objectKey.slice(this.keyPrefix.length) : objectKey;
  }

  /** A new full object key under the hidden temporary prefix, named `name` or a random one. */
  temporaryObjectKey(name: string = randomUUID()): string {
    return this.temporaryPrefix + name;
  }

  /** `bucket/key` of a full object key, URL-encoded per path segment (keys with `+`, spaces and Unicode). */
  copySource(objectKey: string): string {
    return `${this.bucket}/${objectKey.split('/').map((segment) => encodeURIComponent(segment)).join('/')}`;
  }
}
