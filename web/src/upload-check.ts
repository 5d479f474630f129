import { ApiError, type Me } from './api.js';

/** The usual file name ending of each MIME type docstore knows, to name allowed types to people. */
const EXTENSIONS: Readonly<Record<string, string>> = {
  'application/pdf': '.pdf',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/webp': '.webp',
  'image/tiff': '.tif',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': '.xlsx',
  'application/vnd.oasis.opendocument.text': '.odt',
  'application/vnd.oasis.opendocument.spreadsheet': '.ods',
  'application/msword': '.doc',
  'application/vnd.ms-excel': '.xls',
  'text/plain': '.txt',
  'text/csv': '.csv',
};

/** The allowed types as people know them (`.pdf, .png, …`; a type without a usual ending by its MIME name). */
export function allowedTypesText(allowedMimeTypes: readonly string[]): string {
  return [...new Set(allowedMimeTypes.map((type) => EXTENSIONS[type] ?? type))].join(', ');
}

/**
 * What the API would answer to this file, found before sending a byte: `upload.too_large` over the
 * limit of `GET /api/v1/me`, `upload.empty_file`, or `upload.unsupported_content` when the file's
 * first bytes (and, where the server looks at it, its name's extension) make a type the server does
 * not accept — the server's own decision (`content-detection.ts`, bundled), on the same bytes.
 * Undefined when the API should accept it; the API still decides.
 */
export async function refusalBeforeUpload(file: File, limits: Me['limits']): Promise<ApiError | undefined> {
  if (file.size > limits.maxUploadBytes) {
    return new ApiError(413, 'upload.too_large', `The file is larger than ${limits.maxUploadBytes} bytes`, { limit: limits.maxUploadBytes });
  }
  if (file.size === 0) return new ApiError(400, 'upload.empty_file', 'The file is empty');
  // Loaded on first use: the type detection (file-type) is most of its weight.
  const [{ SNIFF_BYTES, detectMimeType }, { safeFileName }] = await Promise.all([import('../../src/shared/content-detection.js'), import('../../src/shared/file-name.js')]);
  const sample = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  const detected = await detectMimeType(sample, safeFileName(file.name));
  if (detected !== undefined && limits.allowedMimeTypes.includes(detected)) return undefined;
  return new ApiError(415, 'upload.unsupported_content', `This content is not accepted (detected: ${detected ?? 'unknown'})`, { detected: detected ?? null });
}
