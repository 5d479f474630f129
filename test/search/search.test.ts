import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBuilding } from '../support/buildings.js';
import { sql } from 'kysely';
import { searchDocuments } from '../../src/search/document-search.js';
import { SearchIndex, dialectOf } from '../../src/search/search-index.js';
import { parseQuery } from '../../src/search/search-query.js';
import { docx, imagePdf, installOcrTools, scanOf, textPdf } from '../support/search-samples.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload } from '../support/upload-request.js';

/**
 * Search inside documents (issue 21) on both service pairs: real pdftotext and tesseract on
 * documents generated here (a text PDF, a PNG scan in French, a scanned PDF in Dutch, a DOCX),
 * found by words of their body with accents and case folded; phrases, prefixes, exclusions,
 * ranking, snippets, filters; the permission filter with its counts; trash and purge.
 */
beforeAll(installOcrTools, 900_000);

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`search (${pairName})`, { timeout: 120_000 }, () => {
    let fixture: ServiceFixture;
    let buildingA: string;
    let buildingB: string;
    let otherOrgBuilding: string;
    const ids: Record<string, string> = {};

    const auth = async (role: Parameters<ServiceFixture['token']>[0], options: Parameters<ServiceFixture['token']>[1] = {}) => ({ authorization: `Bearer ${await fixture.token(role, options)}` });
    const upload = async (building: string, options: { type?: string; title: string; fileName: string; content: Buffer; contentType: string }, org = ORG_A) => {
      const body = documentUpload(options);
      const contentType = options.contentType;
      // documentUpload sends application/pdf by default: the server decides from the bytes anyway.
      const payload = body.payload.toString('latin1').includes('Content-Type: application/pdf') ? Buffer.from(body.payload.toString('latin1').replace('Content-Type: application/pdf', `Content-Type: ${contentType}`), 'latin1') : body.payload;
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...body.headers, ...(await auth('syndic', { org })) } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json().id as string;
    };
    const search = async (query: Record<string, string>, headers?: Record<string, string>) => {
      const response = await fixture.service.app.inject({ url: `/api/v1/search?${new URLSearchParams(query)}`, headers: headers ?? (await auth('syndic')) });
      return response;
    };
    const found = async (q: string, extra: Record<string, string> = {}) => {
      const response = await search({ q, ...extra });
      expect(response.statusCode, response.body).toBe(200);
      return (response.json().items as Array<{ document: { id: string } }>).map((item) => item.document.id);
    };

    beforeAll(async () => {
      fixture = await factory({ env: { DOCSTORE_TRASH_DAYS: '0' } });
      buildingA = await registerBuilding(fixture);
      buildingB = await registerBuilding(fixture);
      otherOrgBuilding = await registerBuilding(fixture, { org: ORG_B });
      const [frenchScan, dutchScan] = await Promise.all([
        scanOf(['Facture entreprise Dubois', 'Réparation de la corniche'], 'png'),
        scanOf(['Notulen van de algemene vergadering', 'De dakwerken zijn goedgekeurd.'], 'jpeg'),
      ]);
      ids.minutes = await upload(buildingA, {
        type: 'meeting_minutes',
        title: 'PV AG 2025',
        fileName: 'pv.pdf',
        contentType: 'application/pdf',
        content: textPdf([["Procès-verbal de l'ASSEMBLÉE générale", 'Les travaux de toiture sont votés à la majorité.', 'Le syndic présente le budget.']]),
      });
      ids.invoiceScan = await upload(buildingA, { type: 'invoice', title: 'Scan 0012', fileName: 'scan.png', contentType: 'image/png', content: frenchScan.image });
      ids.dutchScan = await upload(buildingB, { type: 'meeting_minutes', title: 'Notulen 2024', fileName: 'notulen.pdf', contentType: 'application/pdf', content: imagePdf(dutchScan.image, dutchScan.width, dutchScan.height) });
      ids.regulation = await upload(buildingA, {
        type: 'regulation',
        title: "Règlement d'ordre intérieur",
        fileName: 'roi.docx',
        contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        content: await docx(["Article 12 : le stationnement dans l'allée est interdit.", 'Les vélos se rangent au sous-sol.']),
      });
      // A title match for "toiture", and a document with toiture and Dubois (for exclusion).
      ids.roofQuote = await upload(buildingA, { type: 'works_quote', title: 'Toiture : devis', fileName: 'devis.pdf', contentType: 'application/pdf', content: textPdf([['Devis pour la couverture du bâtiment principal.']]) });
      ids.other = await upload(buildingA, { type: 'other', title: 'Note', fileName: 'note.pdf', contentType: 'application/pdf', content: textPdf([['La toiture et la corniche vues par Dubois en 2024.']]) });
      ids.otherOrg = await upload(otherOrgBuilding, { type: 'meeting_minutes', title: 'PV autre organisation', fileName: 'pv.pdf', contentType: 'application/pdf', content: textPdf([['Travaux de toiture votés en assemblée générale.']]) }, ORG_B);
      await fixture.service.search.worker().drain();
    }, 600_000);

    afterAll(async () => {
      await fixture?.close();
    });

    it('extracts each kind with its method: text layer, OCR of a PNG and of a scanned PDF, DOCX', async () => {
      const jobs = await fixture.service.db.selectFrom('extraction_jobs').select(['document_id', 'status', 'method', 'attempts']).execute();
      const byId = new Map(jobs.map((job) => [job.document_id, job]));
      expect(byId.get(ids.minutes!)).toMatchObject({ status: 'done', method: 'text', attempts: 1 });
      expect(byId.get(ids.invoiceScan!)).toMatchObject({ status: 'done', method: 'ocr' });
      expect(byId.get(ids.dutchScan!)).toMatchObject({ status: 'done', method: 'ocr' });
      expect(byId.get(ids.regulation!)).toMatchObject({ status: 'done', method: 'text' });
      const text = await fixture.service.app.inject({ url: `/api/v1/documents/${ids.dutchScan}/text`, headers: await auth('syndic') });
      expect(text.statusCode).toBe(200);
      expect(text.json()).toMatchObject({ version: 1, method: 'ocr', status: 'done', error: null });
      expect(text.json().text).toContain('dakwerken');
    });

    it('finds each document by words of its body, case and accents folded', async () => {
      expect(await found('assemblée')).toContain(ids.minutes);
      expect(await found('ASSEMBLEE generale')).toContain(ids.minutes);
      expect(await found('dubois')).toEqual(expect.arrayContaining([ids.invoiceScan, ids.other]));
      expect(await found('réparation')).toEqual([ids.invoiceScan]);
      expect(await found('DAKWERKEN')).toEqual([ids.dutchScan]);
      expect(await found('stationnement')).toEqual([ids.regulation]);
      expect(await found('velos sous-sol')).toEqual([ids.regulation]);
    });

    it('matches phrases in quotes, prefixes and exclusions', async () => {
      expect(await found('"travaux de toiture"')).toEqual([ids.minutes]);
      expect(await found('"toiture de travaux"')).toEqual([]);
      expect(await found('dakwerk*')).toEqual([ids.dutchScan]);
      expect(await found('station*')).toEqual([ids.regulation]);
      expect(await found('toiture -dubois')).toEqual(expect.not.arrayContaining([ids.other]));
      expect(await found('toiture -dubois')).toEqual(expect.arrayContaining([ids.minutes, ids.roofQuote]));
      expect(await found('toiture -"travaux de toiture"')).not.toContain(ids.minutes);
    });

    it('ranks a title match first and highlights the matching words in the snippet', async () => {
      const response = await search({ q: 'toiture' });
      const items = response.json().items as Array<{ document: { id: string; title: string; retention: unknown }; snippet: Array<{ text: string; match: boolean }> }>;
      expect(items[0]?.document.id).toBe(ids.roofQuote);
      expect(items.map((item) => item.document.id)).toEqual(expect.arrayContaining([ids.minutes, ids.other]));
      const minutes = items.find((item) => item.document.id === ids.minutes);
      expect(minutes?.document.retention).toBeDefined();
      expect(minutes?.snippet.filter((part) => part.match).map((part) => part.text)).toEqual(['toiture']);
      expect(minutes?.snippet.map((part) => part.text).join('')).toContain('Les travaux de toiture sont votés');
      const accents = (await search({ q: 'ASSEMBLEE' })).json().items[0].snippet as Array<{ text: string; match: boolean }>;
      expect(accents.filter((part) => part.match).map((part) => part.text)).toEqual(['ASSEMBLÉE']);
    });

    it('filters by building, type and date, and pages with a cursor', async () => {
      expect(await found('toiture', { type: 'works_quote' })).toEqual([ids.roofQuote]);
      expect(await found('vergadering', { building: buildingA })).toEqual([]);
      expect(await found('vergadering', { building: buildingB })).toEqual([ids.dutchScan]);
      const today = new Date().toISOString().slice(0, 10);
      expect(await found('stationnement', { from: today, to: today })).toEqual([ids.regulation]);
      expect(await found('stationnement', { to: '2000-12-31' })).toEqual([]);
      const first = (await search({ q: 'toiture', limit: '2' })).json();
      expect(first.items).toHaveLength(2);
      expect(first.total).toBe(3);
      const second = (await search({ q: 'toiture', limit: '2', cursor: first.nextCursor })).json();
      expect(first.totalCapped).toBe(false);
      expect(second).toMatchObject({ total: 3, totalCapped: false, nextCursor: null });
      expect(second.items).toHaveLength(1);
      const wrong = await search({ q: 'corniche', cursor: first.nextCursor });
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json().code).toBe('search.invalid_cursor');
    });

    it('keeps every search inside the caller’s rights, counts included', async () => {
      // The other organisation's minutes match "toiture" too: never seen, never counted.
      expect((await search({ q: 'toiture' })).json().total).toBe(3);
      const otherSyndic = await auth('syndic', { org: ORG_B });
      const other = (await search({ q: 'toiture' }, otherSyndic)).json();
      expect(other.items.map((item: { document: { id: string } }) => item.document.id)).toEqual([ids.otherOrg]);
      expect(other.total).toBe(1);
      for (const role of ['owner', 'board_member'] as const) {
        const limited = await auth(role, { buildings: [buildingB] });
        const page = (await search({ q: 'vergadering' }, limited)).json();
        expect(page.items.map((item: { document: { id: string } }) => item.document.id)).toEqual([ids.dutchScan]);
        expect((await search({ q: 'toiture' }, limited)).json()).toMatchObject({ items: [], total: 0 });
        const outside = await search({ q: 'toiture', building: buildingA }, limited);
        expect(outside.statusCode).toBe(404);
        expect(outside.json().code).toBe('documents.not_found');
        const text = await fixture.service.app.inject({ url: `/api/v1/documents/${ids.minutes}/text`, headers: limited });
        expect(text.statusCode).toBe(404);
      }
      const nobody = await auth('owner', { buildings: [] });
      expect((await search({ q: 'toiture' }, nobody)).json()).toMatchObject({ items: [], total: 0 });
    });

    it('counts up to a cap, past the page asked for, and only what the caller may see', async () => {
      const syndic = { userId: 'user-syndic', organizationId: ORG_A, role: 'syndic', buildingIds: [] } as const;
      const toiture = parseQuery('toiture');
      // Three of the caller's documents match (the other organisation's fourth is never counted).
      expect(await searchDocuments(fixture.service.db, syndic, toiture, {}, { limit: 1, offset: 0 }, 2)).toMatchObject({ total: 2, totalCapped: true });
      expect(await searchDocuments(fixture.service.db, syndic, toiture, {}, { limit: 1, offset: 2 }, 2)).toMatchObject({ total: 3, totalCapped: false });
      expect(await searchDocuments(fixture.service.db, syndic, toiture, {}, { limit: 1, offset: 0 }, 3)).toMatchObject({ total: 3, totalCapped: false });
      const owner = { userId: 'user-owner', organizationId: ORG_A, role: 'owner', buildingIds: [buildingB] } as const;
      expect(await searchDocuments(fixture.service.db, owner, toiture, {}, { limit: 1, offset: 0 }, 2)).toMatchObject({ rows: [], total: 0, totalCapped: false });
    });

    it('ranks the title match first and pages alike whichever way the caller’s rights read the index', async () => {
      // PostgreSQL ranks an organisation-wide search on the index before joining documents, and a
      // search within a few buildings after (document-search.ts); SQLite lets FTS5 order by rank.
      const toiture = parseQuery('toiture');
      const syndic = { userId: 'user-syndic', organizationId: ORG_A, role: 'syndic', buildingIds: [] } as const;
      const board = { userId: 'user-board', organizationId: ORG_A, role: 'board_member', buildingIds: [buildingA, buildingB] } as const;
      const superadmin = { userId: 'user-admin', organizationId: ORG_A, role: 'superadmin', buildingIds: [] } as const;
      const ranked = async (principal: Parameters<typeof searchDocuments>[1], filters: Parameters<typeof searchDocuments>[3] = {}, limit = 20, offset = 0) =>
        (await searchDocuments(fixture.service.db, principal, toiture, filters, { limit, offset })).rows.map((row) => row.id);
      const wide = await ranked(syndic);
      expect(wide[0]).toBe(ids.roofQuote);
      expect(wide).toHaveLength(3);
      expect(await ranked(board)).toEqual(wide);
      expect(await ranked(syndic, { buildingId: buildingA })).toEqual(wide);
      // A superadmin ranks every organisation's matches: the other organisation's minutes among them, the title match still first.
      const everywhere = await ranked(superadmin);
      expect(everywhere[0]).toBe(ids.roofQuote);
      expect([...everywhere].sort()).toEqual([...wide, ids.otherOrg].sort());
      // Pages of one follow the order of the whole, and a filter that drops ranked matches still fills a page.
      const pages = [await ranked(syndic, {}, 1, 0), await ranked(syndic, {}, 1, 1), await ranked(syndic, {}, 1, 2), await ranked(syndic, {}, 1, 3)];
      expect(pages.flat()).toEqual(wide);
      expect(await ranked(syndic, { type: 'meeting_minutes' }, 1)).toEqual([ids.minutes]);
    });

    it('refuses queries with nothing to find, with a stable code', async () => {
      for (const q of ['-toiture', '"  "', '!!!', 't*']) {
        const response = await search({ q });
        expect(response.statusCode, q).toBe(400);
        expect(response.json().code, q).toBe('search.invalid_query');
      }
      expect((await search({ q: '' })).statusCode).toBe(400);
    });

    it('finds a title at once, and an edited title', async () => {
      const id = await upload(buildingA, { type: 'other', title: 'Contrat ascenseur', fileName: 'x.pdf', contentType: 'application/pdf', content: textPdf([['Entretien annuel.']]) });
      expect(await found('ascenseur')).toEqual([id]);
      const edited = await fixture.service.app.inject({ method: 'PATCH', url: `/api/v1/documents/${id}`, payload: { title: 'Contrat élévateur' }, headers: await auth('syndic') });
      expect(edited.statusCode).toBe(200);
      expect(await found('ascenseur')).toEqual([]);
      expect(await found('elevateur')).toEqual([id]);
    });

    it('writes a new document’s entry from its fields, as a refresh from its row would', async () => {
      const id = await upload(buildingB, { type: 'other', title: 'Chaudière : entretien', fileName: 'Chauffage 2025.pdf', contentType: 'application/pdf', content: textPdf([['Rapport.']]) });
      const { db } = fixture.service;
      const entry = async () =>
        dialectOf(db) === 'postgres'
          ? (await sql<{ entry: string }>`select tsv::text as entry from search_entries where document_id = ${id}`.execute(db)).rows
          : (await sql<{ entry: string }>`select f.title || '|' || f.body || '|' || f.scope as entry from search_entries e join search_fts f on f.rowid = e.id where e.document_id = ${id}`.execute(db)).rows;
      const written = await entry();
      expect(written).toHaveLength(1);
      await db.transaction().execute((trx) => SearchIndex.refresh(trx, id));
      expect(await entry()).toEqual(written);
      expect(await found('chaudiere')).toEqual([id]);
      expect(await found('chauffage')).toEqual([id]);
    });

    it('hides trashed documents and drops the index rows of purged ones', async () => {
      const headers = await auth('syndic');
      expect(await found('corniche')).toEqual(expect.arrayContaining([ids.other]));
      expect((await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${ids.other}`, headers })).statusCode).toBe(204);
      expect(await found('corniche')).toEqual([ids.invoiceScan]);
      expect(await fixture.service.documents.purge()).toBeGreaterThanOrEqual(1);
      const left = async (table: 'search_entries' | 'document_texts' | 'extraction_jobs') =>
        (await fixture.service.db.selectFrom(table).select('document_id').where('document_id', '=', ids.other!).execute()).length;
      expect([await left('search_entries'), await left('document_texts'), await left('extraction_jobs')]).toEqual([0, 0, 0]);
      expect(await found('corniche')).toEqual([ids.invoiceScan]);
    });

    it('records each search and each view of a text in the audit trail, before answering', async () => {
      const owner = await auth('owner', { sub: 'owner-audited', buildings: [buildingB] });
      expect((await search({ q: 'vergadering', type: 'meeting_minutes' }, owner)).statusCode).toBe(200);
      expect((await fixture.service.app.inject({ url: `/api/v1/documents/${ids.dutchScan}/text`, headers: owner })).statusCode).toBe(200);
      const entries = await fixture.service.db
        .selectFrom('audit_entries')
        .select(['action', 'organization_id', 'actor_subject', 'actor_role', 'building_id', 'document_id', 'details'])
        .where('actor_subject', '=', 'owner-audited')
        .orderBy('id')
        .execute();
      expect(entries.map(({ details, ...entry }) => ({ ...entry, details: JSON.parse(details ?? '{}') }))).toEqual([
        {
          action: 'document.search',
          organization_id: ORG_A,
          actor_subject: 'owner-audited',
          actor_role: 'owner',
          building_id: null,
          document_id: null,
          details: { q: 'vergadering', type: 'meeting_minutes', offset: 0, total: 1, documentIds: [ids.dutchScan] },
        },
        { action: 'document.preview', organization_id: ORG_A, actor_subject: 'owner-audited', actor_role: 'owner', building_id: buildingB, document_id: ids.dutchScan, details: { view: 'extracted_text' } },
      ]);
    });

    it('says whether OCR is on', async () => {
      const status = await fixture.service.app.inject({ url: '/api/v1/search/status', headers: await auth('owner', { buildings: [] }) });
      expect(status.json()).toEqual({ index: 'on', ocr: 'on', pdfText: 'on', ocrLanguages: 'fra+nld', excludedTypes: [] });
    });
  });
}
