import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { IdempotencyStore } from '../../src/idempotency/idempotency-store.js';
import { SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`Idempotency-Key on uploads (${pairName})`, () => {
    let fixture: ServiceFixture;
    let auth: Record<string, string>;

    beforeAll(async () => {
      fixture = await factory({ listen: true });
      auth = { authorization: `Bearer ${await fixture.token('syndic', { sub: 'syndic-idem' })}` };
    });
    afterAll(async () => fixture?.close());

    function upload(buildingId: string, key: string | undefined, options: Parameters<typeof documentUpload>[0] = {}, headers = auth) {
      const body = documentUpload(options);
      return fixture.service.app.inject({
        method: 'POST',
        url: `/api/v1/buildings/${buildingId}/documents`,
        payload: body.payload,
        headers: { ...body.headers, ...headers, ...(key === undefined ? {} : { 'idempotency-key': key }) },
      });
    }

    async function documentsIn(buildingId: string): Promise<Document[]> {
      const response = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${buildingId}/documents`, headers: auth });
      expect(response.statusCode, response.body).toBe(200);
      return (response.json() as { items: Document[] }).items;
    }

    it('a retry with the same key returns the first document instead of storing a second one', async () => {
      const building = await registerBuilding(fixture);
      const key = randomUUID();
      const first = await upload(building, key, { title: 'Premier envoi' });
      expect(first.statusCode, first.body).toBe(201);
      const retry = await upload(building, key, { title: 'Premier envoi' });
      expect(retry.statusCode, retry.body).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.headers.location).toBe(first.headers.location);
      expect(retry.json()).toEqual(first.json());
      expect((await documentsIn(building)).map((document) => document.id)).toEqual([(first.json() as Document).id]);
      const fresh = await upload(building, randomUUID());
      expect(fresh.statusCode).toBe(201);
      expect(await documentsIn(building)).toHaveLength(2);
    });

    it('keys are per principal: another subject or organisation with the same key stores its own document', async () => {
      const building = await registerBuilding(fixture);
      const key = randomUUID();
      const mine = await upload(building, key);
      const otherAuth = { authorization: `Bearer ${await fixture.token('syndic', { sub: 'syndic-other' })}` };
      const theirs = await upload(building, key, {}, otherAuth);
      expect(mine.statusCode).toBe(201);
      expect(theirs.statusCode, theirs.body).toBe(201);
      expect(theirs.headers['idempotent-replayed']).toBeUndefined();
      expect((theirs.json() as Document).id).not.toBe((mine.json() as Document).id);
    });

    it('a key reused for another building answers 422 idempotency.key_reused and stores nothing', async () => {
      const key = randomUUID();
      expect((await upload(await registerBuilding(fixture), key)).statusCode).toBe(201);
      const other = await registerBuilding(fixture);
      const reused = await upload(other, key);
      expect(reused.statusCode, reused.body).toBe(422);
      expect(reused.json()).toMatchObject({ code: 'idempotency.key_reused' });
      const listing = await fixture.service.app.inject({ method: 'GET', url: `/api/v1/buildings/${other}/documents`, headers: auth });
      expect(listing.json()).toMatchObject({ items: [] });
    });

    it('a failed attempt frees its key: the retry runs', async () => {
      const building = await registerBuilding(fixture);
      const key = randomUUID();
      const refused = await upload(building, key, { type: 'not-a-type' });
      expect(refused.statusCode, refused.body).toBe(400);
      const retry = await upload(building, key);
      expect(retry.statusCode, retry.body).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
    });

    it('a malformed key answers 400 idempotency.invalid_key; a quoted one (IETF draft) is the bare one', async () => {
      const bad = await upload(await registerBuilding(fixture), 'x'.repeat(256));
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ code: 'idempotency.invalid_key' });
      const building = await registerBuilding(fixture);
      const key = randomUUID();
      const quoted = await upload(building, `"${key}"`);
      expect(quoted.statusCode).toBe(201);
      const bare = await upload(building, key);
      expect(bare.headers['idempotent-replayed']).toBe('true');
    });

    it('a request with a key still in progress answers 409 idempotency.in_progress; the first one then completes', async () => {
      const building = await registerBuilding(fixture);
      const key = randomUUID();
      const { payload, headers } = documentUpload({ content: pdfOfSize(256 * 1024) });
      const url = new URL(`/api/v1/buildings/${building}/documents`, fixture.baseUrl);
      const slow = httpRequest(url, { method: 'POST', headers: { ...headers, ...auth, 'idempotency-key': key, 'content-length': String(payload.length) } });
      const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
        slow.on('response', (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        });
        slow.on('error', reject);
      });
      slow.write(payload.subarray(0, 1024));
      // The key is reserved before the body is read.
      await expect.poll(() => fixture.service.db.selectFrom('idempotency_keys').select('idempotency_key').where('idempotency_key', '=', key).execute(), { timeout: 10_000 }).toHaveLength(1);
      const concurrent = await upload(building, key);
      expect(concurrent.statusCode, concurrent.body).toBe(409);
      expect(concurrent.json()).toMatchObject({ code: 'idempotency.in_progress' });
      slow.end(payload.subarray(1024));
      const first = await response;
      expect(first.status, first.body).toBe(201);
      expect(await documentsIn(building)).toHaveLength(1);
      const retry = await upload(building, key);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect((retry.json() as Document).id).toBe((JSON.parse(first.body) as Document).id);
    });

    it('a lock held by another instance is respected until its lease ends; the overtaken request cannot record its outcome', async () => {
      const start = Date.now();
      let now = new Date(start);
      const first = new IdempotencyStore(fixture.service.db, { now: () => now });
      const second = new IdempotencyStore(fixture.service.db, { now: () => now });
      const scope = { organizationId: randomUUID(), subject: 'lease-test' };
      const fingerprint = IdempotencyStore.fingerprint('POST', '/y');
      const held = await first.reserve(scope, 'k', fingerprint);
      if (held.kind !== 'reserved') throw new Error('expected a reservation');
      await expect(second.reserve(scope, 'k', fingerprint)).rejects.toMatchObject({ code: 'idempotency.in_progress' });
      now = new Date(start + 16 * 60_000);
      const taken = await second.reserve(scope, 'k', fingerprint);
      if (taken.kind !== 'reserved') throw new Error('expected the lock to be taken over');
      await expect(fixture.service.db.transaction().execute((trx) => first.complete(trx, held.reservation, 201, { id: 'late' }))).rejects.toMatchObject({
        code: 'idempotency.in_progress',
      });
      await fixture.service.db.transaction().execute((trx) => second.complete(trx, taken.reservation, 201, { id: 'winner' }));
      expect(await first.reserve(scope, 'k', fingerprint)).toEqual({ kind: 'replay', status: 201, body: { id: 'winner' } });
    });

    it('keys expire after 24 h and expired ones are deleted', async () => {
      const start = Date.now();
      let now = new Date(start);
      const store = new IdempotencyStore(fixture.service.db, { now: () => now });
      const scope = { organizationId: randomUUID(), subject: 'clock-test' };
      const fingerprint = IdempotencyStore.fingerprint('POST', '/x');
      const first = await store.reserve(scope, 'k', fingerprint);
      expect(first.kind).toBe('reserved');
      if (first.kind !== 'reserved') return;
      await fixture.service.db.transaction().execute((trx) => store.complete(trx, first.reservation, 201, { id: 'd1' }));
      store.settled(first.reservation);
      now = new Date(start + 23 * 3600_000);
      expect(await store.reserve(scope, 'k', fingerprint)).toEqual({ kind: 'replay', status: 201, body: { id: 'd1' } });
      now = new Date(start + 25 * 3600_000);
      expect((await store.reserve(scope, 'k', fingerprint)).kind).toBe('reserved');
      now = new Date(start + 50 * 3600_000);
      expect(await store.deleteExpired()).toBeGreaterThanOrEqual(1);
      const left = await fixture.service.db.selectFrom('idempotency_keys').select('idempotency_key').where('organization_id', '=', scope.organizationId).execute();
      expect(left).toEqual([]);
    });
  });
}
