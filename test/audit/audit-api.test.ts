import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditAction, AuditOutcome } from '../../src/audit/audit-actions.js';
import { entryHash } from '../../src/audit/audit-chain.js';
import type { AuditActor, AuditEntry } from '../../src/audit/audit-entry.js';
import { systemActor } from '../../src/audit/audit-entry.js';
import { AuditQuery } from '../../src/audit/query/audit-query.js';
import type { Document } from '../../src/shared/document.js';
import type { Role } from '../../src/shared/principal.js';
import { registerBuilding } from '../support/buildings.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

interface Page {
  items: AuditEntry[];
  nextCursor: string | null;
}

const ADDRESS = '203.0.113.7';
const AGENT = 'Mozilla/5.0 (test)';

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`reading and exporting the audit trail on ${pairName}`, () => {
    let fixture: ServiceFixture;
    // Organisations of this test only: entries other tests or other parts record never mix in.
    const org = randomUUID();
    const otherOrg = randomUUID();
    const buildingA = randomUUID();
    const buildingB = randomUUID();
    const buildingOther = randomUUID();
    let clock = new Date('2026-03-02T09:00:00.000Z');
    let minutes: Document;
    let invoice: Document;
    /** What this test recorded in `org`, in order, with the action and actor each has. */
    const recorded: Array<{ action: AuditAction; subject: string | null; buildingId: string | null; documentId: string | null; at: string }> = [];

    const user = (subject: string, role: Role): AuditActor => ({ kind: 'user', subject, role, requestId: `req-${subject}`, clientAddress: ADDRESS, userAgent: AGENT });

    async function record(action: AuditAction, actor: AuditActor, where: { buildingId?: string | null; documentId?: string | null; organizationId?: string; outcome?: AuditOutcome; details?: Record<string, unknown> } = {}) {
      clock = new Date(clock.getTime() + 60_000);
      const organizationId = where.organizationId ?? org;
      await fixture.service.audit.log.record(fixture.service.db, {
        action,
        actor,
        organizationId,
        buildingId: where.buildingId ?? null,
        documentId: where.documentId ?? null,
        ...(where.outcome === undefined ? {} : { outcome: where.outcome }),
        ...(where.details === undefined ? {} : { details: where.details }),
      });
      if (organizationId === org) recorded.push({ action, subject: actor.subject, buildingId: where.buildingId ?? null, documentId: where.documentId ?? null, at: clock.toISOString() });
    }

    async function get(role: Role, url: string, options: { sub?: string; buildings?: string[]; org?: string } = {}) {
      const token = await fixture.token(role, { org: options.org ?? org, ...options });
      return fixture.service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    }

    async function page(role: Role, query: string, options: { sub?: string; buildings?: string[]; org?: string } = {}): Promise<Page> {
      const response = await get(role, `/api/v1/audit${query}`, options);
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as Page;
    }

    /** Every entry of a listing, following its cursors with `limit`. */
    async function all(role: Role, query: string, options: { sub?: string; buildings?: string[]; org?: string } = {}, limit = 200): Promise<AuditEntry[]> {
      const items: AuditEntry[] = [];
      let cursor: string | null = null;
      do {
        const next: Page = await page(role, `${query}${query === '' ? '?' : '&'}limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, options);
        items.push(...next.items);
        cursor = next.nextCursor;
      } while (cursor !== null);
      return items;
    }

    /** This test's own entries of a listing (registration and uploads record their own too). */
    const mine = (items: AuditEntry[]) => items.filter((item) => item.actor.subject !== 'user-syndic');

    async function upload(buildingId: string, type: string): Promise<Document> {
      const token = await fixture.token('syndic', { org });
      const { payload, headers } = documentUpload({ type, content: pdfOfSize(2000) });
      const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, authorization: `Bearer ${token}` } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as Document;
    }

    beforeAll(async () => {
      fixture = await factory({ now: () => clock });
      await registerBuilding(fixture, { id: buildingA, org });
      await registerBuilding(fixture, { id: buildingB, org });
      await registerBuilding(fixture, { id: buildingOther, org: otherOrg });
      minutes = await upload(buildingA, 'meeting_minutes');
      invoice = await upload(buildingA, 'invoice');
      clock = new Date('2026-03-10T09:00:00.000Z');
      const syndic = user('syn-1', 'syndic');
      await record('document.update', syndic, { buildingId: buildingA, documentId: minutes.id, details: { changes: { title: { from: 'PV', to: 'PV AG 2026' } } } });
      await record('document.download', user('own-1', 'owner'), { buildingId: buildingA, documentId: minutes.id });
      await record('document.download', user('own-2', 'owner'), { buildingId: buildingA, documentId: minutes.id, details: { range: 'bytes=0-99' } });
      await record('document.preview', user('board-1', 'board_member'), { buildingId: buildingA, documentId: minutes.id });
      await record('access.refused', user('own-2', 'owner'), { buildingId: buildingA, documentId: invoice.id, outcome: 'refused', details: { attempted: 'document.delete' } });
      await record('document.download', user('acc-1', 'accountant'), { buildingId: buildingA, documentId: invoice.id });
      await record('legal_hold.place', syndic, { buildingId: buildingA, details: { reason: 'litige' } });
      await record('document.download', user('own-1', 'owner'), { buildingId: buildingB, documentId: randomUUID() });
      await record('document.delete', syndic, { buildingId: buildingB, documentId: randomUUID() });
      // Cells a spreadsheet would run as formulas, and a CSV's own delimiters.
      await record('document.update', { kind: 'user', subject: '=HYPERLINK("http://evil.example","x")', role: 'syndic', userAgent: '+cmd|calc', clientAddress: ADDRESS }, {
        buildingId: buildingA,
        documentId: minutes.id,
        details: { changes: { title: { from: '-1, "quoted"\r\nline', to: '@SUM(A1)' } } },
      });
      await record('document.purge', systemActor('purge'), { buildingId: buildingA, documentId: randomUUID() });
      await record('document.download', user('own-9', 'owner'), { buildingId: buildingOther, organizationId: otherOrg });
      await fixture.service.audit.sealer.seal();
    });
    afterAll(async () => fixture?.close());

    it('a syndic sees its organisation’s whole trail, newest first, with addresses; never another organisation’s', async () => {
      const items = mine(await all('syndic', ''));
      expect(items.map((item) => item.at)).toEqual(recorded.map((entry) => entry.at).reverse());
      expect(items.every((item) => item.organizationId === org)).toBe(true);
      const download = items.find((item) => item.actor.subject === 'own-2' && item.action === 'document.download');
      expect(download).toMatchObject({ clientAddress: ADDRESS, userAgent: AGENT, requestId: 'req-own-2', details: { range: 'bytes=0-99' }, outcome: 'success', buildingId: buildingA, documentId: minutes.id });
      expect(download?.chainSeq).toBeGreaterThan(0);
      expect(download?.entryHash).toMatch(/^[0-9a-f]{64}$/);
      const other = await all('syndic', '', { org: otherOrg });
      expect(other.some((item) => item.actor.subject === 'own-9')).toBe(true);
      expect(other.some((item) => item.organizationId === org)).toBe(false);
    });

    it('filters by building, document, actor, action, outcome and period', async () => {
      const subjects = (items: AuditEntry[]) => mine(items).map((item) => `${item.action}:${item.actor.subject}`);
      expect(subjects(await all('syndic', `?building=${buildingB}`))).toEqual(['document.delete:syn-1', 'document.download:own-1']);
      expect(mine(await all('syndic', `?document=${invoice.id}`)).map((item) => item.actor.subject)).toEqual(['acc-1', 'own-2']);
      expect(subjects(await all('syndic', '?actor=own-2'))).toEqual(['access.refused:own-2', 'document.download:own-2']);
      expect(subjects(await all('syndic', '?action=document.preview'))).toEqual(['document.preview:board-1']);
      expect(subjects(await all('syndic', '?outcome=refused'))).toEqual(['access.refused:own-2']);
      // [from, to): the second to fourth entries.
      const [, second, , , fifth] = recorded;
      const period = await all('syndic', `?from=${second?.at}&to=${encodeURIComponent(fifth?.at ?? '')}`);
      expect(period.map((item) => item.at)).toEqual(recorded.slice(1, 4).map((entry) => entry.at).reverse());
      // A day is 00:00 UTC; an offset is honoured.
      expect(await all('syndic', '?from=2026-03-11')).toEqual([]);
      expect(mine(await all('syndic', `?to=${encodeURIComponent('2026-03-10T10:02:30+01:00')}`)).map((item) => item.at)).toEqual([recorded[1]?.at, recorded[0]?.at]);
    });

    it('pages with a stable cursor: small pages give the same entries as one page, once each', async () => {
      const whole = await all('syndic', '');
      const paged = await all('syndic', '', {}, 3);
      expect(paged.map((item) => item.id)).toEqual(whole.map((item) => item.id));
      const first = await page('syndic', '?limit=2');
      expect(first.items).toHaveLength(2);
      // Entries recorded after the first page do not shift the next one.
      await record('document.download', user('own-1', 'owner'), { buildingId: buildingA, documentId: minutes.id });
      const second = await page('syndic', `?limit=2&cursor=${first.nextCursor}`);
      expect(second.items.map((item) => item.id)).toEqual(whole.slice(2, 4).map((item) => item.id));
      // A cursor belongs to its filters.
      const refused = await get('syndic', `/api/v1/audit?limit=2&building=${buildingA}&cursor=${first.nextCursor}`);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'audit.invalid_cursor' });
    });

    it('an owner sees the changes of its buildings and its own reads, never another’s read, and no address', async () => {
      const items = mine(await all('owner', '', { sub: 'own-1', buildings: [buildingA] }));
      const seen = items.map((item) => `${item.action}:${item.actor.subject}`);
      expect(seen).toEqual(expect.arrayContaining(['document.update:syn-1', 'legal_hold.place:syn-1', 'document.purge:purge', 'document.download:own-1']));
      // Its own read in a building outside its token still is its own (GDPR art. 15).
      expect(items.some((item) => item.actor.subject === 'own-1' && item.buildingId === buildingB)).toBe(true);
      for (const item of items) {
        expect(item.actor.subject === 'own-1' || !['document.download', 'document.preview', 'access.refused'].includes(item.action), `${item.action} by ${item.actor.subject}`).toBe(true);
        expect(item.buildingId === buildingA || item.actor.subject === 'own-1').toBe(true);
        expect([item.clientAddress, item.userAgent, item.requestId]).toEqual([null, null, null]);
      }
      expect(items.some((item) => item.actor.subject === 'own-2' || item.actor.subject === 'board-1')).toBe(false);
      // The syndic's delete in building B is not its building's.
      expect(items.some((item) => item.action === 'document.delete')).toBe(false);
      // Asking for another's reads finds nothing; a building outside the token is 404.
      expect(await all('owner', '?actor=own-2', { sub: 'own-1', buildings: [buildingA] })).toEqual([]);
      const outside = await get('owner', `/api/v1/audit?building=${buildingB}`, { sub: 'own-1', buildings: [buildingA] });
      expect(outside.statusCode).toBe(404);
      expect(outside.json()).toMatchObject({ code: 'building.not_found' });
    });

    it('a board member sees its buildings’ whole trail, reads included, without addresses, user agents or request ids', async () => {
      // The paging test above recorded one more entry; compare hashes once it is linked too.
      await fixture.service.audit.sealer.seal();
      const items = mine(await all('board_member', '', { sub: 'board-9', buildings: [buildingA] }));
      expect(items.map((item) => item.actor.subject)).toEqual(expect.arrayContaining(['own-1', 'own-2', 'board-1', 'acc-1', 'syn-1']));
      expect(items.every((item) => item.buildingId === buildingA)).toBe(true);
      expect(items.every((item) => item.clientAddress === null && item.userAgent === null && item.requestId === null)).toBe(true);
      // The hash still identifies each entry: the syndic's view of the same entry has the same.
      const syndicView = await all('syndic', `?building=${buildingA}`);
      expect(items.map((item) => item.entryHash)).toEqual(expect.arrayContaining(syndicView.filter((item) => item.actor.subject !== 'user-syndic').map((item) => item.entryHash)));
    });

    it('an accountant sees the entries about invoices and financial statements only, without addresses', async () => {
      const items = await all('accountant', '', { sub: 'acc-7' });
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((item) => item.documentId === invoice.id)).toBe(true);
      expect(items.map((item) => item.actor.subject)).toEqual(expect.arrayContaining(['acc-1', 'own-2']));
      expect(items.every((item) => item.clientAddress === null)).toBe(true);
    });

    it('another organisation sees nothing: its own trail only, and 404 when it names this one; a superadmin names any, and that is recorded', async () => {
      const stranger = await get('syndic', `/api/v1/audit?organization=${org}`, { org: otherOrg });
      expect(stranger.statusCode).toBe(404);
      expect(stranger.json()).toMatchObject({ code: 'documents.not_found' });
      expect(await all('syndic', `?building=${buildingA}`, { org: otherOrg })).toEqual([]);
      const admin = await page('superadmin', `?organization=${org}&action=document.preview`, { org: otherOrg, sub: 'admin-1' });
      expect(admin.items.map((item) => item.actor.subject)).toEqual(['board-1']);
      expect(admin.items[0]?.clientAddress).toBe(ADDRESS);
      const reads = await all('syndic', '?action=audit.read');
      expect(reads.map((item) => [item.actor.subject, item.actor.role])).toEqual([['admin-1', 'superadmin']]);
    });

    it('documents both routes in OpenAPI with a response per status', async () => {
      const spec = (await fixture.service.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, { get?: { responses: Record<string, unknown>; parameters?: Array<{ name: string }> } }> };
      for (const path of ['/api/v1/audit', '/api/v1/audit/export']) {
        expect(Object.keys(spec.paths[path]?.get?.responses ?? {}), path).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404']));
      }
      expect(spec.paths['/api/v1/audit']?.get?.parameters?.map((parameter) => parameter.name)).toEqual(
        expect.arrayContaining(['organization', 'building', 'document', 'actor', 'action', 'outcome', 'from', 'to', 'limit', 'cursor']),
      );
    });

    it('answers bad query input with 400 and a stable code', async () => {
      const cases: Array<[string, string]> = [
        ['?limit=0', 'request.invalid'],
        ['?limit=201', 'request.invalid'],
        ['?action=document.steal', 'request.invalid'],
        ['?outcome=maybe', 'request.invalid'],
        ['?from=yesterday', 'request.invalid'],
        ['?to=2026-02-30T25:00:00Z', 'request.invalid'],
        ['?from=2026-03-10&to=2026-03-01', 'audit.invalid_query'],
        ['?cursor=not-a-cursor', 'audit.invalid_cursor'],
        [`?cursor=${Buffer.from(JSON.stringify({ v: 1, s: 'x', i: -4 })).toString('base64url')}`, 'audit.invalid_cursor'],
      ];
      for (const [query, code] of cases) {
        const response = await get('syndic', `/api/v1/audit${query}`);
        expect(response.statusCode, query).toBe(400);
        expect(response.json(), query).toMatchObject({ code });
      }
      const exportResponse = await get('syndic', `/api/v1/audit/export?building=${buildingA}&format=xlsx`);
      expect(exportResponse.statusCode).toBe(400);
      expect(exportResponse.json()).toMatchObject({ code: 'request.invalid' });
      const noBuilding = await get('syndic', '/api/v1/audit/export');
      expect(noBuilding.statusCode).toBe(400);
    });

    it('exports a building’s period as CSV a spreadsheet reads safely, whose hashes an auditor can recompute', async () => {
      const response = await get('syndic', `/api/v1/audit/export?building=${buildingA}&from=2026-03-10&to=2026-03-11&format=csv`);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toContain(`audit-${buildingA}-2026-03-10-2026-03-11.csv`);
      expect(response.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      const rows = parse(response.rawPayload, { bom: true, columns: true }) as Array<Record<string, string>>;
      const expected = recorded.filter((entry) => entry.buildingId === buildingA && entry.at < '2026-03-11');
      // The export's own entry (recorded before its first byte) is its last line.
      expect(rows.filter((row) => row.actor_subject !== 'user-syndic').map((row) => row.at)).toEqual(expected.map((entry) => entry.at));
      expect(rows[rows.length - 1]).toMatchObject({ action: 'audit.export', actor_subject: 'user-syndic', client_address: '127.0.0.1' });
      const formula = rows.find((row) => row.actor_subject?.includes('HYPERLINK'));
      expect(formula?.actor_subject).toBe(`'=HYPERLINK("http://evil.example","x")`);
      expect(formula?.user_agent).toBe(`'+cmd|calc`);
      // Every entry's hash recomputes from its cells, and each links to the one before it in the chain.
      for (const row of rows) {
        const fields = {
          id: Number(row.id),
          organization_id: row.organization_id as string,
          at: row.at as string,
          actor_kind: row.actor_kind as string,
          actor_subject: unformula(row.actor_subject),
          actor_role: nullable(row.actor_role),
          action: row.action as string,
          outcome: row.outcome as string,
          building_id: nullable(row.building_id),
          document_id: nullable(row.document_id),
          version: row.version === '' ? null : Number(row.version),
          request_id: nullable(row.request_id),
          client_address: nullable(row.client_address),
          user_agent: unformula(row.user_agent),
          details: nullable(row.details),
        };
        expect(entryHash(fields, Number(row.chain_seq), row.previous_hash as string), `entry ${row.id}`).toBe(row.entry_hash);
      }
      // The export is itself recorded, before its first byte.
      const exports = await all('syndic', '?action=audit.export');
      expect(exports[0]).toMatchObject({ buildingId: buildingA, actor: { subject: 'user-syndic', role: 'syndic' }, details: { format: 'csv', from: '2026-03-10T00:00:00.000Z', to: '2026-03-11T00:00:00.000Z' } });
    });

    it('exports JSON Lines; a board member’s export has no addresses; owners and accountants may not export', async () => {
      const response = await get('board_member', `/api/v1/audit/export?building=${buildingA}&format=jsonl`, { buildings: [buildingA] });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toBe('application/jsonl; charset=utf-8');
      expect(response.headers['content-disposition']).toContain(`audit-${buildingA}-start-now.jsonl`);
      const lines = response.body.split('\n');
      expect(lines.pop()).toBe('');
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries.map((entry) => entry.action)).toEqual(expect.arrayContaining(['document.download', 'document.preview', 'access.refused', 'audit.export']));
      expect(entries.every((entry) => entry.building_id === buildingA && entry.client_address === null && entry.user_agent === null)).toBe(true);
      expect(entries.map((entry) => entry.id)).toEqual([...entries.map((entry) => entry.id)].sort((a, b) => Number(a) - Number(b)));
      expect(entries.filter((entry) => entry.chain_seq !== null).every((entry) => typeof entry.entry_hash === 'string')).toBe(true);
      for (const [role, buildings] of [['owner', [buildingA]], ['accountant', []]] as const) {
        const refused = await get(role, `/api/v1/audit/export?building=${buildingA}`, { buildings: [...buildings] });
        expect(refused.statusCode, role).toBe(403);
        expect(refused.json()).toMatchObject({ code: 'auth.forbidden' });
      }
      const outside = await get('board_member', `/api/v1/audit/export?building=${buildingB}`, { buildings: [buildingA] });
      expect(outside.statusCode).toBe(404);
    });

    it('keeps a purged document’s entries: the purge removes the document, never its trail', async () => {
      const purged = await upload(buildingB, 'other');
      const syndic = await fixture.token('syndic', { org });
      expect((await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${purged.id}`, headers: { authorization: `Bearer ${syndic}` } })).statusCode).toBe(204);
      await record('document.download', user('own-1', 'owner'), { buildingId: buildingB, documentId: purged.id });
      const before = await all('syndic', `?document=${purged.id}`);
      const total = async () => Number((await fixture.service.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const entriesBefore = await total();
      clock = new Date(clock.getTime() + 400 * 24 * 3600_000);
      expect(await fixture.service.documents.purge()).toBeGreaterThanOrEqual(1);
      expect((await fixture.service.app.inject({ method: 'GET', url: `/api/v1/documents/${purged.id}`, headers: { authorization: `Bearer ${syndic}` } })).statusCode).toBe(404);
      const after = await all('syndic', `?document=${purged.id}`);
      expect(after.map((item) => item.id)).toEqual(expect.arrayContaining(before.map((item) => item.id)));
      expect(await total()).toBeGreaterThanOrEqual(entriesBefore);
    });

    it('an export reads the database a page at a time and ends with every entry once', async () => {
      const query = new AuditQuery({ db: fixture.service.db, log: fixture.service.audit.log, exportPageSize: 2 });
      const principal = { userId: 'syn-1', organizationId: org, role: 'syndic' as const, buildingIds: [] };
      const exported = await query.export(principal, { buildingId: buildingA, format: 'jsonl' });
      let text = '';
      for await (const chunk of exported.body) text += String(chunk);
      const ids = text.trim().split('\n').map((line) => (JSON.parse(line) as { id: number }).id);
      expect(new Set(ids).size).toBe(ids.length);
      const listed = await all('syndic', `?building=${buildingA}`);
      expect(ids).toEqual(listed.map((item) => item.id).reverse());
    });
  });
}

function nullable(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/** A cell as recorded, without the `'` the export put before a formula's first character. */
function unformula(value: string | undefined): string | null {
  const cell = nullable(value);
  return cell !== null && /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}
