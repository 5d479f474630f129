import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AbortMultipartUploadCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { localSqliteService, s3PostgresService, ORG_A, type FixtureFactory, type ServiceFixture } from '../support/service-fixture.js';
import { clientFor } from '../support/s3-target.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';
import { registerBuilding } from '../support/buildings.js';
import { randomPrefix, sha256 } from '../support/streams.js';
import { TUS, metadataHeader } from '../support/tus-requests.js';

const MASTER_KEYS = `2026-11:${randomBytes(32).toString('base64')}`;
const FILE_NAME = 'Dupont-lot12-litige-voisin.pdf';
const TITLE = 'Litige Dupont contre voisin, lot 12';

/** Every way the provider could recognise these documents: names, title, type, plaintext SHA-256 (hex and base64). */
function needlesOf(documents: Document[]): string[] {
  const needles = [FILE_NAME, 'Dupont-lot12', 'litige-voisin', TITLE, 'Litige Dupont', 'application/pdf', 'application%2Fpdf'];
  for (const { sha256 } of documents) {
    needles.push(sha256, sha256.toUpperCase(), Buffer.from(sha256, 'hex').toString('base64'), Buffer.from(sha256, 'hex').toString('base64url'));
  }
  return needles;
}

function found(haystack: Buffer | string, needles: string[]): string[] {
  const bytes = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
  return needles.filter((needle) => bytes.includes(Buffer.from(needle, 'utf8')) || bytes.includes(Buffer.from(needle, 'utf16le')));
}

async function filesUnder(directory: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(path)));
    else files.push(path);
  }
  return files;
}

const cases: Array<[string, FixtureFactory]> = [
  ['local + SQLite', localSqliteService],
  ['S3 (RGW) + PostgreSQL', s3PostgresService],
];

for (const [name, factory] of cases) {
  describe(`client-side encryption, ${name}: what the storage provider sees`, () => {
    let fixture: ServiceFixture;
    let auth: Record<string, string>;
    const building = randomUUID();
    const documents: Document[] = [];

    /** Starts a resumable upload (the console's way) and sends its first `sent` bytes; returns its URL. */
    async function tusUpload(content: Buffer, sent: number): Promise<Response> {
      const metadata = metadataHeader({ building, type: 'invoice', title: TITLE, filename: FILE_NAME, sha256: sha256(content) });
      const created = await fetch(`${fixture.baseUrl}/api/v1/uploads`, { method: 'POST', headers: { ...TUS, ...auth, 'upload-length': String(content.length), 'upload-metadata': metadata } });
      expect(created.status, await created.clone().text()).toBe(201);
      const url = new URL(created.headers.get('location') as string, `${fixture.baseUrl}/api/v1/uploads`).href;
      const patched = await fetch(url, { method: 'PATCH', headers: { ...TUS, ...auth, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: content.subarray(0, sent) });
      expect(patched.status, await patched.clone().text()).toBe(204);
      return patched;
    }

    beforeAll(async () => {
      // On the shared test bucket, a key prefix of this test's own: everything under it is what the provider holds of it.
      const env: Record<string, string> = { DOCSTORE_MASTER_KEYS: MASTER_KEYS, ...(name.startsWith('S3') ? { S3_KEY_PREFIX: `${randomPrefix()}/` } : {}) };
      fixture = await factory({ listen: true, env });
      auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
      await registerBuilding(fixture, { id: building });
      // A small document, and one of several segments (streamed through the upload path).
      for (const content of [pdfOfSize(20_000), pdfOfSize(700_000)]) {
        const { payload, headers } = documentUpload({ content, fileName: FILE_NAME, title: TITLE });
        const created = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
        expect(created.statusCode, created.body).toBe(201);
        documents.push(created.json() as Document);
      }
      // Through tus, as the console sends: one finished, one left unfinished (its parts wait for the rest).
      const resumable = pdfOfSize(300_000);
      const finished = await tusUpload(resumable, resumable.length);
      const read = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/documents/${finished.headers.get('docstore-document-id')}`, headers: auth });
      expect(read.statusCode, read.body).toBe(200);
      documents.push(read.json() as Document);
      await tusUpload(pdfOfSize(400_000), 150_000);
    }, 60_000);
    afterAll(async () => {
      const storage = fixture?.config.storage;
      if (storage?.backend === 's3' && storage.keyPrefix !== '') {
        const client = clientFor(inject('s3'));
        try {
          const listed = await client.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: storage.keyPrefix }));
          const objects = (listed.Contents ?? []).map((object) => ({ Key: object.Key as string }));
          if (objects.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: storage.bucket, Delete: { Objects: objects } }));
          const unfinished = await client.send(new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: storage.keyPrefix }));
          for (const upload of unfinished.Uploads ?? []) await client.send(new AbortMultipartUploadCommand({ Bucket: storage.bucket, Key: upload.Key, UploadId: upload.UploadId }));
        } finally {
          client.destroy();
        }
      }
      await fixture?.close();
    });

    it('docstore still serves the name, type and SHA-256 to its callers', async () => {
      for (const document of documents) {
        expect(document).toMatchObject({ fileName: FILE_NAME, title: TITLE, mimeType: 'application/pdf' });
        const content = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document.id}/content`, headers: auth });
        expect(content.statusCode).toBe(200);
        expect(content.headers['content-type']).toBe('application/pdf');
        expect(String(content.headers['content-disposition'])).toContain(FILE_NAME);
        const info = await fixture.service.storage.stat(`${ORG_A}/${building}/${document.id}`);
        expect(info).toMatchObject({ contentType: 'application/pdf', sha256: document.sha256, size: document.size });
        expect(info.contentDisposition).toContain(FILE_NAME);
      }
    });

    it('no stored byte and no object metadata holds the file name, the title, the MIME type or the plaintext SHA-256', async () => {
      const needles = needlesOf(documents);
      const storage = fixture.config.storage;
      if (storage.backend === 'local') {
        const files = await filesUnder(storage.path);
        expect(files.length).toBeGreaterThanOrEqual(documents.length);
        for (const file of files) expect({ file, found: found(await readFile(file), needles) }).toEqual({ file, found: [] });
        return;
      }
      const client = clientFor(inject('s3'));
      try {
        // Everything under this test's prefix: the documents, and nothing of the resumable uploads (they wait on docstore's disk under encryption).
        const listed = await client.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: storage.keyPrefix }));
        const keys = (listed.Contents ?? []).map((object) => object.Key as string);
        expect(keys.sort()).toEqual(documents.map((document) => `${storage.keyPrefix}${ORG_A}/${building}/${document.id}`).sort());
        expect((await client.send(new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: storage.keyPrefix }))).Uploads ?? []).toEqual([]);
        for (const key of keys) {
          const head = await client.send(new HeadObjectCommand({ Bucket: storage.bucket, Key: key }));
          expect({ key, contentType: head.ContentType, contentDisposition: head.ContentDisposition }).toEqual({ key, contentType: 'application/octet-stream', contentDisposition: undefined });
          const described = JSON.stringify({ type: head.ContentType, disposition: head.ContentDisposition, metadata: head.Metadata, encoding: head.ContentEncoding, language: head.ContentLanguage });
          expect({ key, found: found(described, needles) }).toEqual({ key, found: [] });
          expect(Object.keys(head.Metadata ?? {}).every((name) => name.startsWith('docstore-'))).toBe(true);
          const body = Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }))).Body!.transformToByteArray());
          expect({ key, found: found(body, needles) }).toEqual({ key, found: [] });
        }
      } finally {
        client.destroy();
      }
    });
  });
}
