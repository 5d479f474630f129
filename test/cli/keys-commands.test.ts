import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createObjectStorage, storageWiringOf } from '../../src/storage/create-object-storage.js';
import { putFormatOne } from '../support/encryption-fixtures.js';
import { clientFor, s3EnvironmentOf, testBucket } from '../support/s3-target.js';
import { readAll, sha256 } from '../support/streams.js';
import { runDocstore } from '../support/docstore-cli.js';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');

for (const backend of ['local', 's3'] as const) {
  describe(`docstore keys on ${backend}`, () => {
    let dataDir: string;
    let storageEnv: Record<string, string>;
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'docstore-keys-'));
      if (backend === 'local') {
        storageEnv = {};
      } else {
        const target = inject('s3');
        const client = clientFor(target);
        const bucket = await testBucket(target, client);
        client.destroy();
        storageEnv = s3EnvironmentOf(target, bucket, `keys-cli-${randomBytes(4).toString('hex')}/`);
      }
    });
    afterAll(async () => rm(dataDir, { recursive: true, force: true }));

    const envWith = (masterKeys?: string): NodeJS.ProcessEnv => ({
      ...process.env,
      DATA_DIR: dataDir,
      ...storageEnv,
      ...(masterKeys === undefined ? {} : { DOCSTORE_MASTER_KEYS: masterKeys }),
    });
    /** The configured storage, as the service would open it. */
    async function open(masterKeys?: string) {
      const config = loadConfig({ DATA_DIR: dataDir, ...storageEnv, ...(masterKeys === undefined ? {} : { DOCSTORE_MASTER_KEYS: masterKeys }) });
      const created = await createObjectStorage(config.storage, storageWiringOf(config));
      await created.prepare();
      return created;
    }

    it('status, encrypt-existing, rotate and retirement, with exit codes and JSON', async () => {
      const plain = await open();
      await plain.storage.put('docs/old-1.pdf', 'written before encryption 1');
      await plain.storage.put('docs/old-2.pdf', 'written before encryption 2');

      const withoutKeys = await runDocstore(['keys', 'status'], envWith());
      expect(withoutKeys.code).toBe(2);
      expect(withoutKeys.stderr).toContain('DOCSTORE_MASTER_KEYS: is required by docstore keys');

      const onlyK1 = `k1:${k1}`;
      const before = await runDocstore(['keys', 'status', '--json'], envWith(onlyK1));
      expect(before.code).toBe(0);
      expect(JSON.parse(before.stdout)).toMatchObject({ activeKeyId: 'k1', objects: 2, plaintext: 2, byKeyId: {}, missing: [] });
      expect((await runDocstore(['keys', 'status'], envWith(onlyK1))).stdout).toContain('run: docstore keys encrypt-existing');

      const encrypted = await runDocstore(['keys', 'encrypt-existing', '--json'], envWith(onlyK1));
      expect(encrypted.code).toBe(0);
      expect(JSON.parse(encrypted.stdout)).toMatchObject({ objects: 2, actions: { encrypted: 2 }, failed: [] });
      expect((await readAll((await plain.storage.get('docs/old-1.pdf')).body)).toString()).not.toContain('written before');
      const readable = await open(onlyK1);
      expect((await readAll((await readable.storage.get('docs/old-1.pdf')).body)).toString()).toBe('written before encryption 1');

      const rotating = `k2*:${k2},k1:${k1}`;
      const rotated = await runDocstore(['keys', 'rotate'], envWith(rotating));
      expect(rotated).toMatchObject({ code: 0, stdout: '2 objects: 2 rewrapped, 0 failed\n' });
      expect((await runDocstore(['keys', 'rotate', '--json'], envWith(rotating))).stdout).toContain('"current":2');
      const after = await runDocstore(['keys', 'status'], envWith(rotating));
      expect(after.code).toBe(0);
      expect(after.stdout).toContain('no object uses k1: can be removed from DOCSTORE_MASTER_KEYS');

      // Retired too early: the objects under k2 cannot be read, and status says so (exit 1).
      const early = await runDocstore(['keys', 'status'], envWith(onlyK1));
      expect(early.code).toBe(1);
      expect(early.stdout).toContain('NOT CONFIGURED');
      for (const output of [before, encrypted, rotated, after, early]) {
        expect(output.stdout + output.stderr).not.toContain(k1);
        expect(output.stdout + output.stderr).not.toContain(k2);
      }
    }, 120_000);

    it('keys status counts objects of the earlier format, keys rotate converts them (file name and type leave the backend), resumably', async () => {
      const plain = await open();
      const masterKey = { id: 'k3', key: randomBytes(32) };
      const masterKeys = `k3:${masterKey.key.toString('base64')}`;
      const content = Buffer.from('%PDF-1.4 Dupont lot 12, written in format 1');
      const described = { contentType: 'application/pdf', contentDisposition: 'attachment; filename="Dupont-lot12-litige-voisin.pdf"', metadata: { 'document-id': 'doc-1' } };
      await putFormatOne(plain.storage, masterKey, 'format1/a.pdf', content, described);
      await putFormatOne(plain.storage, masterKey, 'format1/b.pdf', content, described);

      const before = await runDocstore(['keys', 'status', '--prefix', 'format1/'], envWith(masterKeys));
      expect(before.code).toBe(0);
      expect(before.stdout).toContain('2 encrypted objects of an earlier format (file name and type in clear at the backend): run: docstore keys rotate');
      const readable = await open(masterKeys);
      expect(await readable.storage.stat('format1/a.pdf')).toMatchObject({ ...described, sha256: sha256(content) });

      const first = await runDocstore(['keys', 'rotate', '--prefix', 'format1/a', '--json'], envWith(masterKeys));
      expect(JSON.parse(first.stdout)).toMatchObject({ objects: 1, actions: { upgraded: 1 }, failed: [] });
      const rest = await runDocstore(['keys', 'rotate', '--prefix', 'format1/', '--json'], envWith(masterKeys));
      expect(rest.code).toBe(0);
      expect(JSON.parse(rest.stdout)).toMatchObject({ objects: 2, actions: { current: 1, upgraded: 1 }, failed: [] });
      expect(JSON.parse((await runDocstore(['keys', 'status', '--prefix', 'format1/', '--json'], envWith(masterKeys))).stdout)).toMatchObject({ objects: 2, earlierFormat: 0, byKeyId: { k3: 2 } });
      for (const key of ['format1/a.pdf', 'format1/b.pdf']) {
        const backend = await plain.storage.stat(key);
        expect({ type: backend.contentType, disposition: backend.contentDisposition, format: backend.metadata['docstore-enc'] }).toEqual({ type: 'application/octet-stream', disposition: undefined, format: '2' });
        expect(JSON.stringify(backend)).not.toContain('Dupont');
        expect(await readable.storage.stat(key)).toMatchObject({ ...described, size: content.length });
        expect((await readAll((await readable.storage.get(key)).body)).equals(content)).toBe(true);
      }
    }, 120_000);
  });
}

describe('docstore keys and config: DOCSTORE_MASTER_KEYS', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'docstore-keys-'));
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));
  const env = (masterKeys: string): NodeJS.ProcessEnv => ({ ...process.env, DATA_DIR: dataDir, DOCSTORE_MASTER_KEYS: masterKeys });

  it('refuses a malformed DOCSTORE_MASTER_KEYS without echoing it, and docstore config shows key ids only', async () => {
    for (const [value, message] of [
      [`k1:${k1},k2:${k2}`, 'none marked active'],
      [`k1*:${k1},k2*:${k2}`, 'more than one active key'],
      [`k1:${Buffer.alloc(16).toString('base64')}`, 'exactly 32 bytes'],
      ['k1', 'not of the form id:base64'],
      [`bad id:${k1}`, 'the id must be'],
    ] as const) {
      const refused = await runDocstore(['keys', 'status'], env(value));
      expect({ value, code: refused.code }).toEqual({ value, code: 2 });
      expect(refused.stderr).toContain(message);
      expect(refused.stderr).not.toContain(k1);
    }
    const shown = await runDocstore(['config'], env(`k2*:${k2},k1:${k1}`));
    expect(JSON.parse(shown.stdout).encryption).toEqual({ activeKeyId: 'k2', keyIds: ['k2', 'k1'], allowPlaintext: true });
    expect(shown.stdout).not.toContain(k1);
    expect(shown.stdout).not.toContain(k2);
  }, 60_000);
});
