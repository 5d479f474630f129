import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_MIME_TYPES } from '../../src/documents/allowed-mime-types.js';
import { detectMimeType } from '../../src/shared/content-detection.js';
import { contentDisposition, safeFileName } from '../../src/shared/file-name.js';
import { SAMPLES } from '../support/sample-files.js';

describe('detectMimeType', () => {
  for (const [kind, sample] of Object.entries(SAMPLES)) {
    it(`recognises ${kind} from its bytes`, async () => {
      const detected = await detectMimeType(sample.content, sample.fileName);
      expect(detected).toBe(sample.mimeType);
      expect(DEFAULT_ALLOWED_MIME_TYPES).toContain(detected);
    });
  }

  it('ignores the name when the bytes say otherwise', async () => {
    expect(await detectMimeType(SAMPLES.png!.content, 'facture.pdf')).toBe('image/png');
    expect(await detectMimeType(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(100).fill(0)]), 'facture.pdf')).not.toBe('application/pdf');
  });

  it('does not call binary garbage text', async () => {
    expect(await detectMimeType(Buffer.from([0x00, 0x01, 0x80, 0x81, 0xfe, 0x13, 0x37]), 'x.txt')).toBeUndefined();
    expect(await detectMimeType(Buffer.from('caf\xc3'), 'x.txt')).toBe('text/plain'); // cut inside a character
  });

  it('keeps an OLE container that is neither .doc nor .xls out of the allowed list', async () => {
    const detected = await detectMimeType(SAMPLES.doc!.content, 'setup.msi');
    expect(DEFAULT_ALLOWED_MIME_TYPES).not.toContain(detected);
  });
});

describe('safeFileName and contentDisposition', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\x\\Facture.pdf', 'Facture.pdf'],
    ['"quoted".pdf', "'quoted'.pdf"],
    ['e\u0301te\u0301.pdf', '\u00e9t\u00e9.pdf'],
    ['\u202Egnp.exe', 'gnp.exe'],
    ['...hidden', 'hidden'],
    ['   ', 'document'],
  ])('%j → %j', (original, expected) => {
    expect(safeFileName(original)).toBe(expected);
  });

  it('keeps the extension when shortening', () => {
    const name = safeFileName(`${'x'.repeat(600)}.docx`);
    expect([...name]).toHaveLength(255);
    expect(name.endsWith('.docx')).toBe(true);
  });

  it('writes RFC 6266 headers with an ASCII fallback and an RFC 5987 name', () => {
    expect(contentDisposition("Règlement d'ordre intérieur.pdf")).toBe(
      `attachment; filename="Reglement d'ordre interieur.pdf"; filename*=UTF-8''R%C3%A8glement%20d%27ordre%20int%C3%A9rieur.pdf`,
    );
    expect(contentDisposition('a"b.pdf', 'inline')).toBe(`inline; filename="a'b.pdf"; filename*=UTF-8''a%27b.pdf`);
    expect(contentDisposition('公告.pdf')).toBe(`attachment; filename="__.pdf"; filename*=UTF-8''%E5%85%AC%E5%91%8A.pdf`);
  });
});
