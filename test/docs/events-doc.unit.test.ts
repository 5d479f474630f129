import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../../src/events/webhook-signature.js';

/** The receiver's verifier that docs/events.md shows works on what docstore sends, as written there. */
describe('docs/events.md: the signature verification example', () => {
  it('accepts a delivery docstore signed and refuses a changed body, another secret and an old timestamp', async () => {
    const markdown = await readFile(new URL('../../docs/events.md', import.meta.url), 'utf8');
    const block = [...markdown.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1] ?? '').find((code) => code.includes('verifyDocstoreSignature'));
    expect(block).toBeDefined();
    const dir = await mkdtemp(join(tmpdir(), 'docstore-events-doc-'));
    try {
      await writeFile(join(dir, 'verify.mjs'), block as string);
      const { verifyDocstoreSignature } = (await import(pathToFileURL(join(dir, 'verify.mjs')).href)) as { verifyDocstoreSignature: (secret: string, header: string, body: string) => boolean };
      const secret = 'a-receiver-secret-of-32-bytes-or-more!';
      const body = JSON.stringify({ id: 'e-1', type: 'document.created', document: { title: 'Procès-verbal' } });
      const now = Math.floor(Date.now() / 1000);
      const header = signatureHeader(Buffer.from(secret), now, body);
      expect(verifyDocstoreSignature(secret, header, body)).toBe(true);
      expect(verifyDocstoreSignature(secret, header, body.replace('Procès', 'Proces'))).toBe(false);
      expect(verifyDocstoreSignature(`${secret}!`, header, body)).toBe(false);
      expect(verifyDocstoreSignature(secret, signatureHeader(Buffer.from(secret), now - 600, body), body)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
