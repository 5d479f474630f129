/** The smallest file docstore accepts as a PDF (detected from its first bytes). */
export const TINY_PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');

export interface MultipartFile {
  /** @default 'file' */
  fieldName?: string;
  fileName: string;
  bytes: Uint8Array;
  /** @default 'application/octet-stream' */
  contentType?: string;
}

/**
 * A multipart/form-data body for `app.inject({ payload, headers })`: the fields in the given order,
 * then the file, encoded by the platform's `FormData` (boundary included in the content type).
 */
export async function multipartBody(fields: Record<string, string>, file: MultipartFile): Promise<{ payload: Buffer; headers: { 'content-type': string } }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append(file.fieldName ?? 'file', new Blob([file.bytes], { type: file.contentType ?? 'application/octet-stream' }), file.fileName);
  const encoded = new Response(form);
  const contentType = encoded.headers.get('content-type');
  if (contentType === null) throw new Error('FormData produced no content type');
  return { payload: Buffer.from(await encoded.arrayBuffer()), headers: { 'content-type': contentType } };
}
