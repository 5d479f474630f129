/** Longest display name kept, in characters. */
export const MAX_FILE_NAME_CHARACTERS = 255;

// Controls, bidirectional overrides and isolates, zero-width characters and BOM.
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu;

/**
 * Makes a client-supplied file name safe for display and download: the last path segment
 * (`/` and `\` both separate), NFC, no control or bidirectional-override characters, no quotes
 * that could break a header, white space collapsed, at most 255 characters with the extension
 * kept. Never empty: `document` when nothing is left.
 */
export function safeFileName(original: string | undefined): string {
  const lastSegment = (original ?? '').split(/[/\\]/).pop() ?? '';
  let name = lastSegment
    .normalize('NFC')
    .replace(/[\t\n\r\v\f]+/g, ' ')
    .replace(UNSAFE_CHARACTERS, '')
    .replace(/"/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
  if (name === '') return 'document';
  const characters = [...name];
  if (characters.length > MAX_FILE_NAME_CHARACTERS) {
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = characters.slice(0, MAX_FILE_NAME_CHARACTERS - [...extension].length).join('') + extension;
  }
  return name;
}

/**
 * A `Content-Disposition` header value per RFC 6266: an ASCII fallback `filename` (non-ASCII
 * replaced, quotes and backslashes neutralised) and an RFC 5987 `filename*` carrying the UTF-8 name.
 */
export function contentDisposition(fileName: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const safe = safeFileName(fileName);
  const fallback = safe.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\u0020-\u007e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(safe).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
