import { request as httpRequest } from 'node:http';

/** The header every tus request carries. */
export const TUS = { 'tus-resumable': '1.0.0' };

/** tus `Upload-Metadata`: comma-separated `key base64(value)` pairs. */
export function metadataHeader(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

/**
 * A `PATCH` of `bytes` at `offset` whose connection is cut after `sent` of them, as a dropped
 * mobile connection; resolves once the connection is closed.
 */
export async function cutPatch(url: string, headers: Record<string, string>, offset: number, bytes: Buffer, sent: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const request = httpRequest(new URL(url), {
      method: 'PATCH',
      headers: { ...TUS, ...headers, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'content-length': String(bytes.length) },
    });
    request.on('error', () => resolve());
    request.on('close', () => resolve());
    request.write(bytes.subarray(0, sent), () => setTimeout(() => request.destroy(), 200));
  });
}
