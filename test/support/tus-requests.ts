/** The header every tus request carries. */
export const TUS = { 'tus-resumable': '1.0.0' };

/** tus `Upload-Metadata`: comma-separated `key base64(value)` pairs. */
export function metadataHeader(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}
