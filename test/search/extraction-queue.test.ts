import { rm } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { claimJob } from '../../src/search/extraction/extraction-job-repository.js';
import type { JobOutcome } from '../../src/search/extraction/extraction-worker.js';
import { registerBuilding } from '../support/buildings.js';
import { installOcrTools, scanOf, textPdf } from '../support/search-samples.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type FixtureOptions, type ServiceFixture } from '../support/service-fixture.js';
import { multipartBody } from '../support/upload-request.js';

/**
 * The extraction queue on both pairs: jobs survive an instance that died mid-OCR (its lease lapses,
 * the next start takes the job again), two instances share one queue without doing a job twice,
 * the page limit ends a job with a clear status, OCR off and the index off say so.
 */
beforeAll(installOcrTools, 900_000);

for (const [pairName, factory] of SERVICE_PAIRS) {
  // tesseract is real and CPU-bound: on a loaded machine one OCR job takes several seconds.
  describe(`extraction queue (${pairName})`, { timeout: 120_000 }, () => {
    const opened: ServiceFixture[] = [];
    const open = async (options: FixtureOptions = {}) => {
      const fixture = await factory(options);
      opened.push(fixture);
      return fixture;
    };
    afterEach(async () => {
      for (const fixture of opened.splice(0).reverse()) await fixture.close();
    });

    const upload = async (fixture: ServiceFixture, building: string, content: Buffer, fileName: string, contentType: string, type = 'other') => {
      const body = multipartBody([
        { name: 'type', value: type },
        { name: 'title', value: fileName },
        { name: 'file', fileName, content, contentType },
      ]);
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload: body.payload, headers: { ...body.headers, authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json().id as string;
    };
    const job = async (fixture: ServiceFixture, id: string) =>
      fixture.service.db.selectFrom('extraction_jobs').selectAll().where('document_id', '=', id).executeTakeFirstOrThrow();
    const searchIds = async (fixture: ServiceFixture, q: string) => {
      const response = await fixture.service.app.inject({ url: `/api/v1/search?q=${encodeURIComponent(q)}`, headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(response.statusCode, response.body).toBe(200);
      return (response.json().items as Array<{ document: { id: string } }>).map((item) => item.document.id);
    };

    it('takes a job again after the instance working on it died mid-OCR, once its lease has lapsed', async () => {
      let clock = Date.now();
      const first = await open({ now: () => new Date(clock) });
      const building = await registerBuilding(first);
      const scan = await scanOf(['Convocation à l’assemblée extraordinaire', 'Remplacement de l’ascenseur'], 'png');
      const id = await upload(first, building, scan.image, 'convocation.png', 'image/png');
      // What an instance killed during tesseract leaves: the job running under its lease, no text.
      const claimed = await claimJob(first.service.db, 'killed-instance:4242', new Date(clock), 120_000);
      expect(claimed).toMatchObject({ document_id: id, status: 'running', attempts: 1 });
      // The instance stops; its data directory (the SQLite file) stays for the restart, removed at the end.
      await first.service.close();
      opened.splice(opened.indexOf(first), 1, { ...first, close: () => rm(first.config.dataDir, { recursive: true, force: true }) });
      // The restarted instance finds nothing due while the lease holds…
      const restarted = await open({ shareWith: first, now: () => new Date(clock) });
      expect(await restarted.service.search.worker().runOnce()).toBeUndefined();
      // …and takes the job once it has lapsed.
      clock += 121_000;
      const outcome = await restarted.service.search.worker().runOnce();
      expect(outcome).toMatchObject({ documentId: id, status: 'done', method: 'ocr' });
      expect(await job(restarted, id)).toMatchObject({ status: 'done', attempts: 2, lease_owner: null });
      expect(await searchIds(restarted, 'ascenseur')).toEqual([id]);
    });

    it('shares one queue between two instances without working any job twice', async () => {
      const one = await open();
      const two = await open({ shareWith: one });
      const building = await registerBuilding(one);
      const ids: string[] = [];
      for (let index = 0; index < 8; index++) ids.push(await upload(one, building, textPdf([[`Décompte numéro ${index} pour la copropriété.`]]), `decompte-${index}.pdf`, 'application/pdf'));
      const seen: Array<{ instance: string; outcome: JobOutcome }> = [];
      const worker = (fixture: ServiceFixture, instance: string) => fixture.service.search.worker({ onJob: (outcome) => seen.push({ instance, outcome }) });
      const [a, b] = await Promise.all([worker(one, 'one').drain(), worker(two, 'two').drain()]);
      expect(a + b).toBe(8);
      expect(seen.map((entry) => entry.outcome.documentId).sort()).toEqual([...ids].sort());
      expect(new Set(seen.map((entry) => entry.outcome.documentId)).size).toBe(8);
      for (const id of ids) expect(await job(one, id)).toMatchObject({ status: 'done', attempts: 1 });
      expect((await searchIds(two, 'decompte copropriete')).sort()).toEqual([...ids].sort());
    });

    it('stops a 300-page PDF at the page limit with a clear status, the first pages indexed', async () => {
      const fixture = await open();
      const building = await registerBuilding(fixture);
      const pages = Array.from({ length: 300 }, (_, index) => [`Page ${index + 1} du grand livre, mot-clef page${index + 1}.`]);
      const id = await upload(fixture, building, textPdf(pages), 'grand-livre.pdf', 'application/pdf', 'financial_statement');
      expect(await fixture.service.search.worker().runOnce()).toMatchObject({ documentId: id, status: 'limited', pages: 300 });
      expect(await job(fixture, id)).toMatchObject({ status: 'limited', pages: 300, error: 'the document has 300 pages: the first 200 were read (DOCSTORE_INDEX_MAX_PAGES=200)' });
      expect(await searchIds(fixture, 'page200')).toEqual([id]);
      expect(await searchIds(fixture, 'page201')).toEqual([]);
      const text = await fixture.service.app.inject({ url: `/api/v1/documents/${id}/text`, headers: { authorization: `Bearer ${await fixture.token('owner', { buildings: [building] })}` } });
      expect(text.json()).toMatchObject({ status: 'limited', method: 'text', error: expect.stringContaining('300 pages') });
    });

    it('says OCR is off when its language is not installed, and leaves images unread with status ocr_off', async () => {
      const fixture = await open({ env: { DOCSTORE_OCR_LANGUAGES: 'fra+tlh' } });
      const status = await fixture.service.app.inject({ url: '/api/v1/search/status', headers: { authorization: `Bearer ${await fixture.token('syndic')}` } });
      expect(status.json()).toMatchObject({ index: 'on', ocr: 'off', pdfText: 'on', ocrLanguages: 'fra+tlh' });
      const building = await registerBuilding(fixture);
      const scan = await scanOf(['Facture chauffage'], 'png');
      const image = await upload(fixture, building, scan.image, 'facture.png', 'image/png', 'invoice');
      const pdf = await upload(fixture, building, textPdf([['Le texte de ce PDF se lit sans OCR.']]), 'texte.pdf', 'application/pdf');
      await fixture.service.search.worker().drain();
      expect(await job(fixture, image)).toMatchObject({ status: 'ocr_off', error: expect.stringContaining('OCR is off') });
      expect(await job(fixture, pdf)).toMatchObject({ status: 'done', method: 'text' });
      expect(await searchIds(fixture, 'facture')).toEqual([image]);
      expect(await searchIds(fixture, 'chauffage')).toEqual([]);
    });

    it('reads an organisation’s scans in the OCR languages it chose, over the service’s', async () => {
      // The service's languages are not all installed (OCR off by default); organisation A chooses fra.
      const fixture = await open({ env: { DOCSTORE_OCR_LANGUAGES: 'fra+tlh' } });
      const headers = async (role: 'syndic' | 'accountant' | 'owner', org = ORG_A) => ({ authorization: `Bearer ${await fixture.token(role, { org })}` });
      const url = `/api/v1/organizations/${ORG_A}/search-settings`;
      expect((await fixture.service.app.inject({ url, headers: await headers('accountant') })).json()).toMatchObject({ ocrLanguages: 'fra+tlh', source: 'service', installedLanguages: expect.arrayContaining(['fra', 'nld', 'eng']) });
      const refused = await fixture.service.app.inject({ method: 'PUT', url, payload: { ocrLanguages: 'fra+deu' }, headers: await headers('syndic') });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'search.invalid_languages', detail: expect.stringContaining('not installed here: deu') });
      expect((await fixture.service.app.inject({ method: 'PUT', url, payload: { ocrLanguages: 'fra' }, headers: await headers('accountant') })).statusCode).toBe(403);
      expect((await fixture.service.app.inject({ url, headers: await headers('owner') })).statusCode).toBe(403);
      expect((await fixture.service.app.inject({ url, headers: await headers('syndic', ORG_B) })).statusCode).toBe(404);
      const set = await fixture.service.app.inject({ method: 'PUT', url, payload: { ocrLanguages: 'fra' }, headers: await headers('syndic') });
      expect(set.json()).toMatchObject({ organizationId: ORG_A, ocrLanguages: 'fra', source: 'organization' });
      const scan = await scanOf(['Facture du chauffagiste'], 'png');
      const mine = await upload(fixture, await registerBuilding(fixture), scan.image, 'a.png', 'image/png', 'invoice');
      const otherBuilding = await registerBuilding(fixture, { org: ORG_B });
      const body = multipartBody([
        { name: 'type', value: 'invoice' },
        { name: 'title', value: 'b.png' },
        { name: 'file', fileName: 'b.png', content: scan.image, contentType: 'image/png' },
      ]);
      const theirs = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${otherBuilding}/documents`, payload: body.payload, headers: { ...body.headers, ...(await headers('syndic', ORG_B)) } });
      expect(theirs.statusCode).toBe(201);
      await fixture.service.search.worker().drain();
      expect(await job(fixture, mine)).toMatchObject({ status: 'done', method: 'ocr' });
      expect(await job(fixture, theirs.json().id)).toMatchObject({ status: 'ocr_off', error: expect.stringContaining('fra+tlh') });
      expect(await searchIds(fixture, 'chauffagiste')).toEqual([mine]);
      const reverted = await fixture.service.app.inject({ method: 'PUT', url, payload: { ocrLanguages: null }, headers: await headers('syndic') });
      expect(reverted.json()).toMatchObject({ ocrLanguages: 'fra+tlh', source: 'service' });
    });

    it('keeps excluded types out of the index but for their title, and turns the whole index off', async () => {
      const excluding = await open({ env: { DOCSTORE_INDEX_EXCLUDE_TYPES: 'owner_document' } });
      const building = await registerBuilding(excluding);
      const id = await upload(excluding, building, textPdf([['Revenus imposables du propriétaire.']]), 'avertissement.pdf', 'application/pdf', 'owner_document');
      await excluding.service.search.worker().drain();
      expect(await job(excluding, id)).toMatchObject({ status: 'excluded' });
      expect(await searchIds(excluding, 'imposables')).toEqual([]);
      expect(await searchIds(excluding, 'avertissement')).toEqual([id]);
      const off = await open({ env: { DOCSTORE_INDEX: 'off' } });
      const offBuilding = await registerBuilding(off);
      const offId = await upload(off, offBuilding, textPdf([['Rien ne sera extrait.']]), 'rien.pdf', 'application/pdf');
      const response = await off.service.app.inject({ url: '/api/v1/search?q=rien', headers: { authorization: `Bearer ${await off.token('syndic')}` } });
      expect(response.statusCode).toBe(503);
      expect(response.json().code).toBe('search.disabled');
      expect(await off.service.db.selectFrom('extraction_jobs').select('document_id').where('document_id', '=', offId).execute()).toEqual([]);
    });
  });
}
