import { z } from 'zod';

/** The headers a page of an allowed origin may read: tus's, downloads' and the finished upload's document. */
export const CORS_EXPOSED_HEADERS = [
  'Location',
  'Content-Disposition',
  'Content-Length',
  'ETag',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Expires',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Docstore-Document-Id',
  'Docstore-Document-Version',
  'X-Request-Id',
];

/**
 * `DOCSTORE_CORS_ORIGINS`: a comma-separated allowlist of origins (`https://app.example.be`, scheme,
 * host and port only), none by default.
 */
export const corsOriginsVariable = z
  .string()
  .transform((value) => value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
  .refine((origins) => origins.every((origin) => URL.canParse(origin) && new URL(origin).origin === origin), 'must be comma-separated origins such as https://app.example.be (scheme, host and port only)')
  .optional();
