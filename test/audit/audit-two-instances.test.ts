import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditTrail } from '../../src/audit/evidence/audit-verifier.js';
import { CheckpointKey } from '../../src/audit/evidence/checkpoint-key.js';
import type { Document } from '../../src/shared/document.js';
import { registerBuilding } from '../support/buildings.js';
import { ORG_A, ORG_B, s3PostgresService, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix } from '../support/streams.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

describe('two instances on one PostgreSQL uploading and downloading at once through the API', () => {
  let instances: ServiceFixture[];
  let keyDir: string;
  const checkpointErrors: unknown[] = [];

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'docstore-audit-shared-key-'));
    // Both instances sign with one key, shared as docs/audit.md says (each has its own DATA_DIR).
    const env = { DOCSTORE_AUDIT_KEY_FILE: join(keyDir, 'checkpoint-key.pem'), S3_KEY_PREFIX: `audit-two-${randomPrefix()}/` };
    const first = await s3PostgresService({ env });
    instances = [first, await s3PostgresService({ env, shareWith: first })];
  });
  afterAll(async () => {
    for (const instance of instances ?? []) await instance.close();
    await rm(keyDir, { recursive: true, force: true });
  });

  it('keeps one linear chain per organisation that verifies, while both instances sign checkpoints all along', async () => {
    const [first, second] = instances as [ServiceFixture, ServiceFixture];
    const buildings = { [ORG_A]: await registerBuilding(first, { org: ORG_A }), [ORG_B]: await registerBuilding(second, { org: ORG_B }) };
    // Both sign checkpoints all along, as serve does (here every 25 ms instead of every hour).
    for (const instance of instances) instance.service.audit.checkpointer.start(25, (error) => checkpointErrors.push(error));
    const tokens = new Map<string, string>();
    for (const org of [ORG_A, ORG_B]) tokens.set(org, await first.token('syndic', { org }));
    const auth = (org: string) => ({ authorization: `Bearer ${tokens.get(org)}` });

    const uploads = Array.from({ length: 16 }, async (_, index) => {
      const org = index % 2 === 0 ? ORG_A : ORG_B;
      const instance = instances[Math.floor(index / 2) % 2] as ServiceFixture;
      const { payload, headers } = documentUpload({ title: `Doc ${index}`, content: pdfOfSize(2_000 + index) });
      const response = await instance.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildings[org]}/documents`, payload, headers: { ...headers, ...auth(org) } });
      expect(response.statusCode, response.body).toBe(201);
      const document = response.json() as Document;
      // Read back at once from both instances, while other uploads go on.
      const reads = await Promise.all(instances.map((reader) => reader.service.app.inject({ method: 'GET', url: `/api/v1/documents/${document.id}/content`, headers: auth(org) })));
      for (const read of reads) expect(read.statusCode).toBe(200);
      return org;
    });
    const orgs = await Promise.all(uploads);
    for (const instance of instances) await instance.service.audit.checkpointer.stop();
    expect(checkpointErrors).toEqual([]);

    const key = (await CheckpointKey.load(join(keyDir, 'checkpoint-key.pem')))!;
    const report = await verifyAuditTrail(first.service.db, { trustedKeys: [key.publicKey], sealer: second.service.audit.sealer });
    expect(report.problems).toBe(0);
    expect(report.ok).toBe(true);
    for (const org of [ORG_A, ORG_B]) {
      const rows = await first.service.db.selectFrom('audit_entries').selectAll().where('organization_id', '=', org).orderBy('chain_seq').execute();
      // Linear: seqs 1..n with no gap or double; the verify above checked every link and hash.
      expect(rows.map((row) => Number(row.chain_seq))).toEqual(rows.map((_, index) => index + 1));
      const uploaded = orgs.filter((item) => item === org).length;
      expect(rows.filter((row) => row.action === 'document.upload')).toHaveLength(uploaded);
      expect(rows.filter((row) => row.action === 'document.download')).toHaveLength(uploaded * 2);
      const chain = report.chains.find((item) => item.organizationId === org)!;
      expect(chain).toMatchObject({ entries: rows.length, lastSeq: rows.length, problemCount: 0 });
      expect(chain.checkpoints).toBeGreaterThan(0);
    }
  });
});
