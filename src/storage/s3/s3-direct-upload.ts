import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { withResponseDate } from './s3-client.js';

/** A PutObject or UploadPart whose body is in memory, in the SDK's input shape. */
export type DirectUploadInput = { Bucket: string; Key: string; Body: Buffer } & Record<string, unknown>;

/** What a direct upload's response says (the SDK output's fields docstore reads). */
export interface DirectUploadOutput {
  ETag?: string;
  VersionId?: string;
}

type Signer = Awaited<ReturnType<S3Client['config']['signer']>>;
type SignableRequest = Parameters<Signer['sign']>[0];

/** Where a bucket's requests go, and how they are signed: the SDK's own endpoint rules and signer, resolved once. */
interface Target {
  protocol: string;
  hostname: string;
  port?: number;
  host: string;
  /** The bucket's path (`/bucket` in path style, empty for a virtual host), without a trailing `/`. */
  basePath: string;
  signer: Signer;
  signingRegion: string;
  signingService: string;
}

/** Input fields sent as a header of the same value. */
const PLAIN_HEADERS: Readonly<Record<string, string>> = {
  ContentType: 'content-type',
  ContentDisposition: 'content-disposition',
  IfNoneMatch: 'if-none-match',
  ServerSideEncryption: 'x-amz-server-side-encryption',
  SSEKMSKeyId: 'x-amz-server-side-encryption-aws-kms-key-id',
  SSECustomerAlgorithm: 'x-amz-server-side-encryption-customer-algorithm',
  ObjectLockMode: 'x-amz-object-lock-mode',
  ObjectLockLegalHoldStatus: 'x-amz-object-lock-legal-hold',
};
/** Input fields the direct path writes itself (a field in neither list sends the upload through the SDK). */
const HANDLED = new Set(['Bucket', 'Key', 'Body', 'ContentLength', 'Metadata', 'SSECustomerKey', 'ObjectLockRetainUntilDate', 'PartNumber', 'UploadId', ...Object.keys(PLAIN_HEADERS)]);

/**
 * Sends PutObject and UploadPart requests whose body is in memory straight to the bucket's
 * endpoint, without the SDK's per-request middleware stack: the URL comes from the client's own
 * endpoint rules, the request is signed (SigV4) by the client's own signer and sent through the
 * client's own HTTP handler (its keep-alive agent, connection and socket timeouts). The SDK spends
 * far more per request than the request itself: on 10,000 puts of 4 KiB it allocated about
 * 200 KiB per request (each middleware copies the client's whole configuration, and every request
 * gets a new signer), which cost more CPU than signing and sending (`bench:mirror`).
 *
 * Only the success path is taken here: an upload that gets anything but a 2xx, fails on the
 * network, or carries a parameter this class does not know returns undefined, and the caller sends
 * it again through the SDK, whose retry strategy, clock-skew correction and error parsing then
 * decide the outcome. Sending a put twice is what the SDK's own retries do. The payload's SHA-256
 * is signed (`x-amz-content-sha256`), so the server refuses bytes that are not the ones hashed;
 * under Object Lock (`contentMd5`) the body's MD5 travels too, as through the SDK.
 */
export class S3DirectUpload {
  private target: Promise<Target | undefined> | undefined;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly options: { contentMd5: boolean },
  ) {}

  /**
   * Sends one upload. `payloadSha256` is the body's SHA-256 (hex) when the caller already has it;
   * otherwise it is computed off the main thread. Undefined when the upload was not made here (see
   * the class comment): the caller sends it through the SDK.
   */
  async upload(input: DirectUploadInput, payloadSha256?: string, signal?: AbortSignal): Promise<DirectUploadOutput | undefined> {
    if (input.Bucket !== this.bucket || signal?.aborted === true) return undefined;
    const headers = headersOf(input);
    if (headers === undefined) return undefined;
    this.target ??= this.resolveTarget().catch(() => undefined);
    const target = await this.target;
    if (target === undefined) return undefined;
    const body = input.Body;
    headers.host = target.host;
    headers['content-length'] = String(body.length);
    headers['x-amz-content-sha256'] = payloadSha256 ?? Buffer.from(await crypto.subtle.digest('SHA-256', body as Uint8Array<ArrayBuffer>)).toString('hex');
    if (this.options.contentMd5) headers['content-md5'] = createHash('md5').update(body).digest('base64');
    const query: Record<string, string> = {};
    if (input.PartNumber !== undefined) query.partNumber = String(input.PartNumber);
    if (input.UploadId !== undefined) query.uploadId = String(input.UploadId);
    const request: SignableRequest = {
      method: 'PUT',
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port === undefined ? {} : { port: target.port }),
      path: `${target.basePath}/${encodeKey(input.Key)}`,
      query,
      headers,
      body,
    };
    let response: { statusCode: number; headers: Record<string, string>; body?: unknown };
    try {
      const signed = await target.signer.sign(request, {
        signingDate: new Date(Date.now() + this.client.config.systemClockOffset),
        signingRegion: target.signingRegion,
        signingService: target.signingService,
      });
      ({ response } = await this.client.config.requestHandler.handle(signed as never, signal === undefined ? {} : { abortSignal: signal }));
    } catch {
      // The SDK sends it again and explains a lasting failure.
      return undefined;
    }
    const drained = await drain(response.body);
    if (!drained || response.statusCode < 200 || response.statusCode >= 300) return undefined;
    const output: DirectUploadOutput = {
      ...(response.headers.etag === undefined ? {} : { ETag: response.headers.etag }),
      ...(response.headers['x-amz-version-id'] === undefined ? {} : { VersionId: response.headers['x-amz-version-id'] }),
    };
    return withResponseDate(output, response.headers.date);
  }

  /** The bucket's URL and signer, from the client's endpoint rules; undefined where they ask for anything but plain SigV4. */
  private async resolveTarget(): Promise<Target | undefined> {
    const config = this.client.config;
    const endpoint = await config.endpointProvider(
      {
        Bucket: this.bucket,
        Region: await config.region(),
        ForcePathStyle: config.forcePathStyle,
        UseFIPS: await config.useFipsEndpoint(),
        UseDualStack: await config.useDualstackEndpoint(),
        Accelerate: config.useAccelerateEndpoint,
        ...(config.isCustomEndpoint && config.endpoint !== undefined ? { Endpoint: urlOf(await config.endpoint()) } : {}),
      },
      {},
    );
    const scheme = (endpoint.properties?.authSchemes as Array<Record<string, unknown>> | undefined)?.[0];
    const url = endpoint.url;
    if (scheme?.name !== 'sigv4' || typeof scheme.signingRegion !== 'string' || typeof scheme.signingName !== 'string' || url.search !== '' || url.username !== '') return undefined;
    if (endpoint.headers !== undefined && Object.keys(endpoint.headers).length > 0) return undefined;
    const signer = await config.signer({ name: 'sigv4', signingName: scheme.signingName, signingRegion: scheme.signingRegion, properties: {} });
    return {
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      host: url.host,
      basePath: url.pathname.replace(/\/$/, ''),
      signer,
      signingRegion: scheme.signingRegion,
      signingService: scheme.signingName,
    };
  }
}

/** The request headers of an input, as the SDK writes them; undefined if it holds a field this class does not send. */
function headersOf(input: DirectUploadInput): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!HANDLED.has(field)) return undefined;
    const header = PLAIN_HEADERS[field];
    if (header !== undefined) headers[header] = String(value);
  }
  headers['content-type'] ??= 'application/octet-stream';
  for (const [name, value] of Object.entries((input.Metadata as Record<string, string> | undefined) ?? {})) headers[`x-amz-meta-${name.toLowerCase()}`] = value;
  if (input.ObjectLockRetainUntilDate !== undefined) {
    if (!(input.ObjectLockRetainUntilDate instanceof Date)) return undefined;
    headers['x-amz-object-lock-retain-until-date'] = input.ObjectLockRetainUntilDate.toISOString();
  }
  if (input.SSECustomerKey !== undefined) {
    // As the SDK's SSE-C middleware: the key in base64, and the MD5 of its bytes.
    const key = Buffer.from(String(input.SSECustomerKey), 'base64');
    headers['x-amz-server-side-encryption-customer-key'] = key.toString('base64');
    headers['x-amz-server-side-encryption-customer-key-md5'] = createHash('md5').update(key).digest('base64');
  }
  return headers;
}

/** A key as the SDK puts it in the path: each segment URI-encoded, `!'()*` too. */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (character) => `%${(character.codePointAt(0) as number).toString(16).toUpperCase()}`))
    .join('/');
}

function urlOf(endpoint: { protocol: string; hostname: string; port?: number; path: string }): string {
  return `${endpoint.protocol}//${endpoint.hostname}${endpoint.port === undefined ? '' : `:${endpoint.port}`}${endpoint.path}`;
}

/** Reads a response body to its end (so its socket goes back to the pool); false if it failed. */
async function drain(body: unknown): Promise<boolean> {
  if (body === undefined || body === null) return true;
  const stream = body as Readable;
  stream.resume();
  try {
    await finished(stream);
    return true;
  } catch {
    return false;
  }
}
