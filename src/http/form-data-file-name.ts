/**
 * A multipart part's `filename` as the user named the file. Browsers and Node's `FormData` write
 * `"` as `%22`, CR as `%0D` and LF as `%0A` in it (the WHATWG multipart/form-data encoding) and
 * nothing else; busboy hands them over as sent. Exactly those three are decoded (any case of the
 * hex digits), so `Rapport %22final%22.pdf` is `Rapport "final".pdf` again; every other `%` stays
 * (`100%25.pdf` is a literal name). The result still has to be made safe (`safeFileName`).
 */
export function decodeFormDataFileName(sent: string | undefined): string | undefined {
  return sent?.replace(/%(22|0d|0a)/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
