import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface S3ClientOptions {
  /** `http(s)://host[:port]`; omit for AWS. */
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Bucket in the path (`host/bucket/key`) instead of the host name; needed by MinIO and Ceph. */
  forcePathStyle: boolean;
  /** Most sockets open at once per client. @default 64 */
  maxSockets?: number;
  /** Time to establish a connection, in milliseconds. @default 5000 */
  connectionTimeoutMs?: number;
  /**
   * Longest time a request may go without sending or receiving a byte before it fails (a frozen or
   * partitioned server), in milliseconds; the whole request may take longer. @default 30000
   */
  socketTimeoutMs?: number;
  /** Attempts per request, retried with exponential back-off and jitter on throttling, 5xx and network errors. @default 4 */
  maxAttempts?: number;
  /**
   * Send `Content-MD5` with every PutObject and UploadPart: AWS refuses a write with Object Lock
   * parameters without it (or an `x-amz-checksum-*`), for multipart uploads on each part. docstore's
   * bodies are in memory when sent (one PutObject, or one part buffer), so the digest costs one pass
   * over bytes already there. @default false
   */
  contentMd5OnUploads?: boolean;
}

/** Operations the SDK gives a CRC32 (they require a checksum); `Content-MD5` instead, which every server accepts. */
const CHECKSUM_REQUIRED = new Set(['DeleteObjectsCommand', 'PutObjectRetentionCommand', 'PutObjectLegalHoldCommand']);
const UPLOADS = new Set(['PutObjectCommand', 'UploadPartCommand']);

/**
 * Builds an S3 client that works with MinIO, Ceph RGW, Scaleway, OVH, Backblaze B2 and AWS:
 * checksums only when an operation requires them (newer SDK defaults break non-AWS servers),
 * `Content-MD5` instead of CRC32 on DeleteObjects, PutObjectRetention and PutObjectLegalHold (the
 * operations we use that require a checksum; older MinIO and B2 reject anything else), and on
 * uploads under Object Lock (`contentMd5OnUploads`), a keep-alive agent with bounded sockets, timeouts, and the SDK's standard
 * retry strategy, which retries throttling, 5xx and network errors but no other 4xx.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  const client = new S3Client({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    region: options.region,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: options.maxAttempts ?? 4,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      // socketTimeout is the idle timeout; requestTimeout would bound the whole request (and only warns).
      socketTimeout: options.socketTimeoutMs ?? 30_000,
    }),
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      const upload = options.contentMd5OnUploads === true && UPLOADS.has(command);
      if (!CHECKSUM_REQUIRED.has(command) && !upload) return next(args);
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      if (request.headers !== undefined && (typeof request.body === 'string' || request.body instanceof Uint8Array)) {
        for (const name of Object.keys(request.headers)) {
          const lower = name.toLowerCase();
          if (lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') delete request.headers[name];
        }
        request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'docstoreContentMd5', tags: ['DOCSTORE_CONTENT_MD5'] },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      if (typeof result.output === 'object' && result.output !== null) withResponseDate(result.output, (result.response as { headers?: Record<string, string> } | undefined)?.headers?.date);
      return result;
    },
    { step: 'initialize', name: 'docstoreResponseDate', tags: ['DOCSTORE_RESPONSE_DATE'] },
  );
  return client;
}

const RESPONSE_DATE = Symbol('docstore.responseDate');

/** Records the server's `Date` header (if any) on the output of the response that carried it, for `responseDateOf`. */
export function withResponseDate<Output extends object>(output: Output, date: string | undefined): Output {
  if (date !== undefined) Object.defineProperty(output, RESPONSE_DATE, { value: new Date(date), enumerable: false });
  return output;
}

/** The server's `Date` header of the response an SDK output came from, if it sent one. */
export function responseDateOf(output: object): Date | undefined {
  const date = (output as { [RESPONSE_DATE]?: Date })[RESPONSE_DATE];
  return date !== undefined && !Number.isNaN(date.getTime()) ? date : undefined;
}
