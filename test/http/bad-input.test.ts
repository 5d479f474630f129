import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { ORG_A, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { SAMPLES } from '../support/sample-files.js';
import { PDF, documentUpload, multipartBody, pdfOfSize } from '../support/upload-request.js';

const MAX_UPLOAD_BYTES = 300_000;

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`bad input on ${pairName}: problem+json, never a 500, nothing left behind`, () => {
    let fixture: ServiceFixture;
    let auth: Record<string, string>;

    beforeAll(async () => {
      fixture = await factory({ listen: true, env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } });
      auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
    });
    afterAll(async () => fixture?.close());

    async function storedUnder(building: string): Promise<string[]> {
      const keys: string[] = [];
      for await (const entry of fixture.service.storage.list({ prefix: `${ORG_A}/${building}/` })) if (entry.kind === 'object') keys.push(entry.key);
      return keys;
    }

    async function rowsIn(building: string): Promise<number> {
      const rows = await fixture.service.db.selectFrom('documents').select('id').where('building_id', '=', building).execute();
      return rows.length;
    }

    async function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown; body: string }, status: number, code: string) {
      expect(response.statusCode, response.body).toBe(status);
      expect(String(response.headers['content-type'])).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status, code, type: `urn:docstore:${code}` });
      const body = response.json() as Record<string, unknown>;
      for (const field of ['type', 'title', 'status', 'detail', 'code', 'instance']) expect(body, field).toHaveProperty(field);
    }

    describe('tokens', () => {
      // Refused before the building is looked up: any id.
      const url = `/api/v1/buildings/${randomUUID()}/documents`;
      it('missing → 401 auth.missing_token', async () => {
        await expectProblem(await fixture.service.app.inject({ url }), 401, 'auth.missing_token');
      });
      it('malformed, expired, wrongly signed, bad claims → 401 auth.invalid_token', async () => {
        const secret = Buffer.from('docstore-test-jwt-secret-0123456789abcdef');
        const expired = await new SignJWT({ org: ORG_A, role: 'syndic' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(secret);
        const forged = await new SignJWT({ org: ORG_A, role: 'syndic' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime('1h').sign(Buffer.from('another-secret-of-enough-length-0123456789'));
        const badRole = await new SignJWT({ org: ORG_A, role: 'janitor' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime('1h').sign(secret);
        const noneAlg = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'u', org: ORG_A, role: 'superadmin' })).toString('base64url')}.`;
        for (const header of ['Bearer', 'Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', `Bearer ${expired}`, `Bearer ${forged}`, `Bearer ${badRole}`, `Bearer ${noneAlg}`]) {
          await expectProblem(await fixture.service.app.inject({ url, headers: { authorization: header } }), 401, 'auth.invalid_token');
        }
      });
    });

    describe('parameters and fields', () => {
      it('malformed UUIDs → 400', async () => {
        await expectProblem(await fixture.service.app.inject({ url: '/api/v1/buildings/not-a-uuid/documents', headers: auth }), 400, 'request.invalid');
        await expectProblem(await fixture.service.app.inject({ url: '/api/v1/documents/123', headers: auth }), 400, 'request.invalid');
      });

      it('bad limit, unknown type filter, malformed cursor → 400', async () => {
        const { payload, headers } = documentUpload();
        const building = await registerBuilding(fixture);
        await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
        const base = `/api/v1/buildings/${building}/documents`;
        for (const query of ['limit=0', 'limit=201', 'limit=ten', 'type=memo']) {
          await expectProblem(await fixture.service.app.inject({ url: `${base}?${query}`, headers: auth }), 400, 'request.invalid');
        }
        await expectProblem(await fixture.service.app.inject({ url: `${base}?cursor=garbage!`, headers: auth }), 400, 'documents.invalid_cursor');
      });

      for (const [name, fields, code] of [
        ['unknown type', { type: 'memo', title: 'x' }, 'documents.invalid_input'],
        ['empty title', { type: 'invoice', title: '   ' }, 'documents.invalid_input'],
        ['256-character title', { type: 'invoice', title: 'x'.repeat(256) }, 'documents.invalid_input'],
        ['missing title', { type: 'invoice' }, 'documents.invalid_input'],
        ['malformed related meeting', { type: 'invoice', title: 'x', relatedMeetingId: 'abc' }, 'documents.invalid_input'],
      ] as const) {
        it(`${name} → 400, nothing stored (fields before or after the file)`, async () => {
          const building = await registerBuilding(fixture);
          const fieldParts = Object.entries(fields).map(([key, value]) => ({ name: key, value }));
          const file = { name: 'file', fileName: 'x.pdf', content: PDF };
          for (const parts of [[...fieldParts, file], [file, ...fieldParts]]) {
            const { payload, headers } = multipartBody(parts);
            await expectProblem(await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } }), 400, code);
          }
          expect(await storedUnder(building)).toEqual([]);
          expect(await rowsIn(building)).toBe(0);
        });
      }
    });

    describe('file parts', () => {
      it('no file part, two file parts, an empty file → 400', async () => {
        const building = await registerBuilding(fixture);
        const url = `/api/v1/buildings/${building}/documents`;
        const noFile = multipartBody([{ name: 'type', value: 'invoice' }, { name: 'title', value: 'x' }]);
        await expectProblem(await fixture.service.app.inject({ method: 'POST', url, payload: noFile.payload, headers: { ...noFile.headers, ...auth } }), 400, 'upload.no_file');
        const twoFiles = documentUpload({ extra: [{ name: 'file', fileName: 'a.pdf', content: PDF }] });
        await expectProblem(await fixture.service.app.inject({ method: 'POST', url, payload: twoFiles.payload, headers: { ...twoFiles.headers, ...auth } }), 400, 'upload.multiple_files');
        const empty = documentUpload({ content: Buffer.alloc(0) });
        await expectProblem(await fixture.service.app.inject({ method: 'POST', url, payload: empty.payload, headers: { ...empty.headers, ...auth } }), 400, 'upload.empty_file');
        expect(await storedUnder(building)).toEqual([]);
        expect(await rowsIn(building)).toBe(0);
      });

      it('too large → 413 while streaming; the partial object is removed', async () => {
        const building = await registerBuilding(fixture);
        for (const size of [MAX_UPLOAD_BYTES + 1, MAX_UPLOAD_BYTES * 3]) {
          const { payload, headers } = documentUpload({ content: pdfOfSize(size) });
          await expectProblem(await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } }), 413, 'upload.too_large');
        }
        const exact = documentUpload({ content: pdfOfSize(MAX_UPLOAD_BYTES) });
        const accepted = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload: exact.payload, headers: { ...exact.headers, ...auth } });
        expect(accepted.statusCode).toBe(201);
        expect(await storedUnder(building)).toHaveLength(1);
        expect(await rowsIn(building)).toBe(1);
      });

      it('not multipart → 415', async () => {
        // Refused before the building is looked up: any id.
      const url = `/api/v1/buildings/${randomUUID()}/documents`;
        await expectProblem(await fixture.service.app.inject({ method: 'POST', url, payload: { type: 'invoice', title: 'x' }, headers: auth }), 415, 'upload.not_multipart');
        await expectProblem(
          await fixture.service.app.inject({ method: 'POST', url, payload: PDF, headers: { ...auth, 'content-type': 'application/pdf' } }),
          415,
          'request.unsupported_media_type',
        );
      });

      it('disallowed content (an executable renamed .pdf, a script, random bytes) → 415, nothing stored', async () => {
        const building = await registerBuilding(fixture);
        const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(4000, 1)]);
        const windows = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0), Buffer.from('PE\0\0'), Buffer.alloc(4000, 7)]);
        const zipOfExe = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60, 0), Buffer.from('payload.exe'), Buffer.alloc(1000, 3)]);
        for (const content of [elf, windows, zipOfExe, pdfOfSize(5000).subarray(9)]) {
          const { payload, headers } = documentUpload({ content, fileName: 'facture.pdf' });
          await expectProblem(await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } }), 415, 'upload.unsupported_content');
        }
        expect(await storedUnder(building)).toEqual([]);
        expect(await rowsIn(building)).toBe(0);
      });

      it('accepts every allowed kind, typed from content, not from the client', async () => {
        const cases: Array<[Buffer, string, string]> = Object.values(SAMPLES).map((sample) => [sample.content, sample.fileName, sample.mimeType]);
        cases.push([SAMPLES.png!.content, 'scan.pdf', 'image/png']);
        for (const [content, fileName, mimeType] of cases) {
          const { payload, headers } = documentUpload({ content, fileName });
          const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${await registerBuilding(fixture)}/documents`, payload, headers: { ...headers, ...auth } });
          expect(response.statusCode, response.body).toBe(201);
          expect((response.json() as Document).mimeType).toBe(mimeType);
        }
      });

      for (const [original, display] of [
        ['../../etc/passwd.pdf', 'passwd.pdf'],
        ['C:\\dir\\x.pdf', 'x.pdf'],
        ['tab\there\u0007bell.pdf', 'tab herebell.pdf'],
        ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
        [`${'a'.repeat(1000)}.pdf`, `${'a'.repeat(251)}.pdf`],
        ["Règlement d'ordre intérieur.pdf", "Règlement d'ordre intérieur.pdf"],
        ['Rapport "final".pdf', "Rapport 'final'.pdf"],
        ['ligne\r\nsuivante\n.pdf', 'ligne suivante .pdf'],
        ['100%25 %41 %2F.pdf', '100%25 %41 %2F.pdf'],
        ['', 'document'],
      ] as const) {
        it(`file name ${JSON.stringify(original.slice(0, 40))} → stored as ${JSON.stringify(display.slice(0, 40))} and served back`, async () => {
          const { payload, headers } = documentUpload({ fileName: original });
          const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${await registerBuilding(fixture)}/documents`, payload, headers: { ...headers, ...auth } });
          expect(response.statusCode, response.body).toBe(201);
          const document = response.json() as Document;
          expect(document.fileName).toBe(display);
          const content = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/content`, headers: auth });
          const disposition = String(content.headers['content-disposition']);
          expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%._~!$&+,;=:@-]+$/);
          expect(decodeURIComponent(disposition.split("filename*=UTF-8''")[1] as string)).toBe(display);
        });
      }
    });

    it('a file name with quotes and a line break sent by Node’s FormData (%22, %0A) is stored and served decoded, then made safe', async () => {
      const form = new FormData();
      form.append('type', 'invoice');
      form.append('title', 'Rapport');
      form.append('file', new Blob([new Uint8Array(PDF)], { type: 'application/pdf' }), 'Rapport "final"\nv2.pdf');
      const response = await fetch(`${fixture.baseUrl}/api/v1/buildings/${await registerBuilding(fixture)}/documents`, { method: 'POST', body: form, headers: auth });
      expect(response.status).toBe(201);
      const document = (await response.json()) as Document;
      expect(document.fileName).toBe("Rapport 'final' v2.pdf");
      const content = await fetch(`${fixture.baseUrl}/api/v1/documents/${document.id}/content`, { headers: auth });
      await content.arrayBuffer();
      expect(content.headers.get('content-disposition')).toBe(`attachment; filename="Rapport 'final' v2.pdf"; filename*=UTF-8''Rapport%20%27final%27%20v2.pdf`);
    });

    it('a client that disconnects mid-upload leaves no row and no object', async () => {
      const building = await registerBuilding(fixture);
      const { payload, headers } = documentUpload({ content: pdfOfSize(250_000) });
      const url = new URL(`/api/v1/buildings/${building}/documents`, fixture.baseUrl);
      const request = httpRequest(url, { method: 'POST', headers: { ...headers, ...auth, 'content-length': String(payload.length) } });
      request.on('error', () => undefined);
      request.write(payload.subarray(0, 120_000));
      // Gone once the server is reading the upload, and checked once it is done with it (its slot
      // is released whatever the outcome): no fixed pause racing the server.
      const inFlight = () => fixture.service.uploads.uploadsInFlight;
      await vi.waitFor(() => expect(inFlight()).toBe(1), { timeout: 10_000, interval: 20 });
      request.destroy();
      await vi.waitFor(() => expect(inFlight()).toBe(0), { timeout: 10_000, interval: 20 });
      expect(await storedUnder(building)).toEqual([]);
      expect(await rowsIn(building)).toBe(0);
    });

    it('a failing database insert removes the stored object (nothing orphaned)', async () => {
      const building = await registerBuilding(fixture);
      if (fixture.config.database.dialect === 'sqlite') {
        await sql`create trigger refuse_insert before insert on documents begin select raise(abort, 'refused by test'); end`.execute(fixture.service.db);
      } else {
        await sql`create function refuse_insert() returns trigger language plpgsql as $$ begin raise exception 'refused by test'; end $$`.execute(fixture.service.db);
        await sql`create trigger refuse_insert before insert on documents for each row execute function refuse_insert()`.execute(fixture.service.db);
      }
      try {
        const { payload, headers } = documentUpload();
        const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
        await expectProblem(response, 500, 'internal');
        expect(response.body).not.toContain('refused by test');
        expect(await storedUnder(building)).toEqual([]);
      } finally {
        await sql`drop trigger refuse_insert${sql.raw(fixture.config.database.dialect === 'sqlite' ? '' : ' on documents')}`.execute(fixture.service.db);
      }
    });

    it('an unsatisfiable range → 416', async () => {
      const { payload, headers } = documentUpload();
      const document = (await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${await registerBuilding(fixture)}/documents`, payload, headers: { ...headers, ...auth } })).json() as Document;
      const response = await fixture.service.app.inject({ url: `/api/v1/documents/${document.id}/content`, headers: { ...auth, range: 'bytes=999999-' } });
      expect(response.statusCode).toBe(416);
      expect(response.json()).toMatchObject({ code: 'content.range_not_satisfiable' });
    });
  });
}
