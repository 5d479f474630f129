import { copyFile, mkdtemp, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gpgVerify, populateBuilding, run, type PopulatedBuilding } from '../handover/handover-fixture.js';
import { operatorEnvironment, runDocstoreSources } from '../support/docstore-cli.js';
import { ORG_A, ORG_B, SERVICE_PAIRS, type ServiceFixture } from '../support/service-fixture.js';
import { randomPrefix } from '../support/streams.js';

const docstore = runDocstoreSources;

for (const [pairName, factory] of SERVICE_PAIRS) {
  describe(`docstore export and import (the commands) on ${pairName}`, () => {
    let source: ServiceFixture;
    let target: ServiceFixture;
    let sourceEnv: Record<string, string>;
    let targetEnv: Record<string, string>;
    let building: PopulatedBuilding;
    let work: string;

    beforeAll(async () => {
      const s3 = pairName.startsWith('S3');
      const [sourcePrefix, targetPrefix] = [`handover-cli-${randomPrefix()}/`, `handover-cli-${randomPrefix()}/`];
      source = await factory({ env: s3 ? { S3_KEY_PREFIX: sourcePrefix } : {} });
      target = await factory({ env: s3 ? { S3_KEY_PREFIX: targetPrefix } : {} });
      sourceEnv = operatorEnvironment(source.config, inject('s3'), sourcePrefix);
      targetEnv = operatorEnvironment(target.config, inject('s3'), targetPrefix);
      building = await populateBuilding(source, { count: 6, bigBytes: 1024 * 1024 });
      work = await mkdtemp(join(tmpdir(), 'docstore-handover-cli-'));
    });
    afterAll(async () => {
      await Promise.all([source?.close(), target?.close()]);
      if (work !== undefined) await rm(work, { recursive: true, force: true });
    });

    it('exports a signed archive (exit 2 without a key), and imports it elsewhere once (exit 3 on a flipped byte)', async () => {
      const noKey = await docstore(['export', '--building', building.buildingId, '--to', join(work, 'none.zip')], sourceEnv);
      expect(noKey.code, noKey.stderr).toBe(2);
      expect(noKey.stderr).toContain('handover.key_invalid');
      expect(noKey.stderr).toContain('docstore handover-key');

      const created = await docstore(['handover-key', '--organization', ORG_A, '--name', 'Syndic Dupont SRL'], sourceEnv);
      expect(created.code, created.stderr).toBe(0);
      const fingerprint = /fingerprint: ([0-9A-F]{40})/.exec(created.stdout)?.[1];
      expect(fingerprint).toBeDefined();
      const shown = await docstore(['handover-key', '--organization', ORG_A, '--show'], sourceEnv);
      expect(shown.stdout).toContain('BEGIN PGP PUBLIC KEY BLOCK');
      const publicKeyPath = join(work, 'syndic.pub.asc');
      await import('node:fs/promises').then(({ writeFile }) => writeFile(publicKeyPath, shown.stdout));

      const archive = join(work, 'archive.zip');
      const exported = await docstore(['export', '--building', building.buildingId, '--to', archive, '--include-trash', '--json'], sourceEnv);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stderr).toBe('');
      expect(JSON.parse(exported.stdout)).toMatchObject({ file: archive, buildingId: building.buildingId, documents: 6, fingerprint });
      expect((await readdir(work)).filter((name) => name.endsWith('.partial'))).toEqual([]);
      const out = join(work, 'out');
      expect((await run('unzip', ['-q', archive, '-d', out])).code).toBe(0);
      const [root] = await readdir(out);
      expect((await run('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: join(out, root!) })).code).toBe(0);
      expect((await gpgVerify(join(out, root!), shown.stdout)).code).toBe(0);

      const flipped = join(work, 'flipped.zip');
      await copyFile(archive, flipped);
      const handle = await open(flipped, 'r+');
      const offset = Math.floor((await stat(flipped)).size / 2);
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, offset);
      byte[0] = (byte[0] ?? 0) ^ 0x80;
      await handle.write(byte, 0, 1, offset);
      await handle.close();
      const refused = await docstore(['import', flipped, '--organization', ORG_B, '--public-key', publicKeyPath], targetEnv);
      expect(refused.code, refused.stderr).toBe(3);
      expect(refused.stderr).toContain('handover.checksum_mismatch');
      expect(refused.stderr).toMatch(/documents\/.+\(mismatch\)/);
      expect(await target.service.db.selectFrom('documents').select('id').execute()).toEqual([]);

      const imported = await docstore(['import', archive, '--organization', ORG_B, '--public-key', publicKeyPath, '--json'], targetEnv);
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ buildingId: building.buildingId, buildingCreated: true, documentsImported: 6, fingerprint });
      const again = await docstore(['import', archive, '--organization', ORG_B, '--public-key', publicKeyPath], targetEnv);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('0 documents imported');
      expect(again.stdout).toContain('6 already here');
      expect(await readFile(join(out, root!, 'README.txt'), 'utf8')).toContain(fingerprint!.slice(0, 4));
      // Seven runs of the CLI from the sources: generous on a loaded machine.
    }, 180_000);
  });
}
