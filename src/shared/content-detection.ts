import { fileTypeFromBuffer } from 'file-type';

/** Bytes inspected to decide the type (ZIP-based office formats need more than the first block). */
export const SNIFF_BYTES = 64 * 1024;

/**
 * Decides a MIME type from the content's first bytes, never from what the client claims.
 * Browser-safe (no Node built-in): the web console runs the same decision before it sends a file.
 * Binary formats come from their magic bytes (`file-type`); legacy Word and Excel share the OLE
 * container, told apart by the file name's extension; content without magic bytes that is valid
 * UTF-8 without NUL bytes is text (`text/csv` for a `.csv` name). Anything else is unknown.
 */
export async function detectMimeType(sample: Uint8Array, fileName: string): Promise<string | undefined> {
  const detected = await fileTypeFromBuffer(sample);
  const extension = fileName.toLowerCase().split('.').pop() ?? '';
  if (detected !== undefined) {
    if (detected.mime === 'application/x-cfb') {
      if (extension === 'doc') return 'application/msword';
      if (extension === 'xls') return 'application/vnd.ms-excel';
    }
    return detected.mime;
  }
  if (looksLikeText(sample)) return extension === 'csv' ? 'text/csv' : 'text/plain';
  return undefined;
}

function looksLikeText(sample: Uint8Array): boolean {
  if (sample.length === 0 || sample.includes(0)) return false;
  // The sample may end inside a multi-byte character: drop up to 3 trailing bytes before decoding.
  for (let cut = 0; cut <= Math.min(3, sample.length - 1); cut++) {
    if (isUtf8(sample.subarray(0, sample.length - cut))) return true;
  }
  return false;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether the bytes are valid UTF-8 (what `node:buffer`'s isUtf8 says, in any JavaScript runtime). */
function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch (error) {
    // The one failure a fatal decoder reports: bytes that are not UTF-8.
    if (error instanceof TypeError) return false;
    throw error;
  }
}
