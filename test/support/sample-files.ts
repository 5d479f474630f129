import { crc32 } from 'node:zlib';

/** A ZIP archive with stored (uncompressed) entries, as office formats are made of. */
export function zipOf(entries: Array<[string, string]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const data = Buffer.from(text);
    const fileName = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const contentTypes = (main: string) =>
  `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/main.xml" ContentType="${main}"/></Types>`;

/** Minimal files of every allowed kind, by the name a user would give them. */
export const SAMPLES: Record<string, { content: Buffer; fileName: string; mimeType: string }> = {
  pdf: { content: Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'), fileName: 'pv.pdf', mimeType: 'application/pdf' },
  png: {
    content: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR'), Buffer.alloc(64)]),
    fileName: 'plan.png',
    mimeType: 'image/png',
  },
  jpeg: { content: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0'), Buffer.alloc(64)]), fileName: 'photo.jpg', mimeType: 'image/jpeg' },
  webp: { content: Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(64)]), fileName: 'facade.webp', mimeType: 'image/webp' },
  tiff: { content: Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), Buffer.alloc(64)]), fileName: 'scan.tiff', mimeType: 'image/tiff' },
  docx: {
    content: zipOf([['[Content_Types].xml', contentTypes('application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml')], ['word/document.xml', '<w:document/>']]),
    fileName: 'contrat.docx',
    mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  },
  xlsx: {
    content: zipOf([['[Content_Types].xml', contentTypes('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml')], ['xl/workbook.xml', '<workbook/>']]),
    fileName: 'decompte.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  },
  odt: { content: zipOf([['mimetype', 'application/vnd.oasis.opendocument.text'], ['content.xml', '<office/>']]), fileName: 'pv.odt', mimeType: 'application/vnd.oasis.opendocument.text' },
  ods: {
    content: zipOf([['mimetype', 'application/vnd.oasis.opendocument.spreadsheet'], ['content.xml', '<office/>']]),
    fileName: 'budget.ods',
    mimeType: 'application/vnd.oasis.opendocument.spreadsheet',
  },
  doc: { content: Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(1024)]), fileName: 'ancien.doc', mimeType: 'application/msword' },
  xls: { content: Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(1024)]), fileName: 'ancien.xls', mimeType: 'application/vnd.ms-excel' },
  txt: { content: Buffer.from('Ordre du jour : approbation des comptes.\n'), fileName: 'odj.txt', mimeType: 'text/plain' },
  csv: { content: Buffer.from('lot;quotité\n1;120\n'), fileName: 'quotites.csv', mimeType: 'text/csv' },
};
