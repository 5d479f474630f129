import { randomBytes } from 'node:crypto';

/** A small valid PDF. */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');

/** A PDF of `size` bytes: a PDF header, then random bytes. */
export function pdfOfSize(size: number): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(Math.max(0, size - 9))]).subarray(0, size);
}

export type FormPart = { name: string; value: string } | { name: string; fileName: string; content: Buffer; contentType?: string };

/** A multipart/form-data body built by hand (exact bytes, any order of parts, any file name). */
export function multipartBody(parts: FormPart[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----docstore${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('value' in part) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    } else {
      // As browsers and Node's FormData write it (WHATWG): only `"`, CR and LF are percent-encoded.
      const fileName = part.fileName.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${fileName}"\r\nContent-Type: ${part.contentType ?? 'application/pdf'}\r\n\r\n`,
        ),
        part.content,
        Buffer.from('\r\n'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** The usual upload: type, title, then the file. */
export function documentUpload(options: { type?: string; title?: string; fileName?: string; content?: Buffer; extra?: FormPart[] } = {}) {
  return multipartBody([
    { name: 'type', value: options.type ?? 'invoice' },
    { name: 'title', value: options.title ?? 'Facture chauffage 2026' },
    ...(options.extra ?? []),
    { name: 'file', fileName: options.fileName ?? 'facture.pdf', content: options.content ?? PDF },
  ]);
}
