import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readOrCreateSecretFile } from '../lib/secret-file.js';
import { validateExpiresIn } from './object-options.js';
import type { PresignGetOptions, PresignPutOptions } from './object-storage.js';
import { PresignExpired, PresignInvalid } from './storage-errors.js';

export type SignedMethod = 'GET' | 'PUT';

/** What a signed link grants. */
export interface SignedLinkClaims {
  method: SignedMethod;
  key: string;
  expiresAt: Date;
  /** GET: served as the download's Content-Type. PUT: the Content-Type the uploader must send. */
  contentType?: string;
  /** GET: served as the download's Content-Disposition. */
  contentDisposition?: string;
}

interface TokenPayload {
  m: SignedMethod;
  k: string;
  e: number;
  t?: string;
  d?: string;
}

/** Shortest accepted signing secret, in bytes. */
export const MIN_SIGNING_SECRET_BYTES = 32;

/**
 * Signs and verifies the links docstore serves itself (the local adapter's, and those of S3 under
 * client-side or server-side encryption): a compact token
 * `base64url(payload).base64url(HMAC-SHA256(secret, payload))` bound to the key, the method and an
 * expiry (whole seconds), appended to `baseUrl`. The HTTP layer serves `baseUrl/<token>`.
 */
export class ObjectLinkSigner {
  constructor(
    private readonly secret: Buffer,
    private readonly baseUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (secret.length < MIN_SIGNING_SECRET_BYTES) {
      throw new RangeError(`The signing secret must have at least ${MIN_SIGNING_SECRET_BYTES} bytes`);
    }
  }

  sign(claims: Omit<SignedLinkClaims, 'expiresAt'> & { expiresInSeconds: number }): string {
    const payload: TokenPayload = {
      m: claims.method,
      k: claims.key,
      e: Math.floor(this.now().getTime() / 1000) + claims.expiresInSeconds,
      ...(claims.contentType === undefined ? {} : { t: claims.contentType }),
      ...(claims.contentDisposition === undefined ? {} : { d: claims.contentDisposition }),
    };
    const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${this.baseUrl.replace(/\/+$/, '')}/${encoded}.${this.signature(encoded).toString('base64url')}`;
  }

  /** A GET link for a (normalised) key with the options of `ObjectStorage.presignGet` (lifetime validated). */
  signGet(key: string, options: PresignGetOptions): string {
    validateExpiresIn(options.expiresInSeconds);
    return this.sign({
      method: 'GET',
      key,
      expiresInSeconds: options.expiresInSeconds,
      ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      ...(options.contentDisposition === undefined ? {} : { contentDisposition: options.contentDisposition }),
    });
  }

  /** A PUT link for a (normalised) key with the options of `ObjectStorage.presignPut` (lifetime validated). */
  signPut(key: string, options: PresignPutOptions): string {
    validateExpiresIn(options.expiresInSeconds);
    return this.sign({ method: 'PUT', key, expiresInSeconds: options.expiresInSeconds, ...(options.contentType === undefined ? {} : { contentType: options.contentType }) });
  }

  /**
   * Checks a token (the last path segment of a signed URL) for `method`. Raises `PresignInvalid`
   * for a malformed or forged token or another method, `PresignExpired` after its expiry.
   */
  verify(token: string, method: SignedMethod): SignedLinkClaims {
    const [encoded, signature, extra] = token.split('.');
    if (encoded === undefined || signature === undefined || extra !== undefined) throw PresignInvalid.because('malformed token');
    const expected = this.signature(encoded);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw PresignInvalid.because('bad signature');
    const payload = parsePayload(encoded);
    if (payload.m !== method) throw PresignInvalid.because(`the link allows ${payload.m}, not ${method}`);
    const expiresAt = new Date(payload.e * 1000);
    if (this.now().getTime() >= expiresAt.getTime()) throw PresignExpired.at(expiresAt);
    return {
      method: payload.m,
      key: payload.k,
      expiresAt,
      ...(payload.t === undefined ? {} : { contentType: payload.t }),
      ...(payload.d === undefined ? {} : { contentDisposition: payload.d }),
    };
  }

  private signature(encodedPayload: string): Buffer {
    return createHmac('sha256', this.secret).update(encodedPayload).digest();
  }
}

function parsePayload(encoded: string): TokenPayload {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch (error) {
    throw PresignInvalid.because('unreadable payload');
  }
  const p = payload as Partial<TokenPayload>;
  if ((p.m !== 'GET' && p.m !== 'PUT') || typeof p.k !== 'string' || typeof p.e !== 'number') {
    throw PresignInvalid.because('incomplete payload');
  }
  return p as TokenPayload;
}

/**
 * Reads the signing secret stored at `path`, creating a random one (mode 0600) the first time, so
 * that links stay valid across restarts of the embedded default; race-safe across processes.
 */
export async function loadOrCreateSigningSecret(path: string): Promise<Buffer> {
  const { text } = await readOrCreateSecretFile(path, {
    variable: 'DOCSTORE_SIGNING_SECRET',
    generate: () => randomBytes(32).toString('base64'),
    check: (stored) => (Buffer.from(stored, 'base64').length >= 32 ? undefined : 'is not base64 of at least 32 bytes'),
  });
  return Buffer.from(text, 'base64');
}
