import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  HeadObjectCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { mirror } from '../../src/sync/mirror.js';
import { openLocation } from '../../src/sync/sync-location.js';
import { EncryptingObjectStorage } from '../../src/storage/encryption/encrypting-object-storage.js';
import { MasterKeyring } from '../../src/storage/encryption/master-keyring.js';
import { S3ObjectStorage } from '../../src/storage/s3/s3-object-storage.js';
import { isStorageError } from '../../src/storage/storage-errors.js';
import { createS3Client } from '../../src/storage/s3/s3-client.js';
import { runDocstore } from '../support/docstore-cli.js';
import { masterKey } from '../support/encryption-fixtures.js';
import { createTestBucket, lockingClientFor, removeTestBucket, versionsOf } from '../support/object-lock-buckets.js';
import { s3EnvironmentOf } from '../support/s3-target.js';
import { bytesOf, readAll, streamOf } from '../support/streams.js';

const MiB = 1024 * 1024;
const MINUTE = 60_000;

/** The code of the error `promise` rejects with (fails the test when it resolves). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'expected a failure').toBeDefined();
  return isStorageError(error) ? error.code : String((error as { name?: string }).name);
}

/** What the server answers a raw SDK request: `ok`, or the S3 error name and HTTP status. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => `${error.name} ${error.$metadata?.httpStatusCode}`,
  );
}

/**
 * Object Lock on Ceph RGW, checked twice: through docstore's S3 adapter, and with the AWS SDK
 * directly under docstore's own credentials (what a stolen server or a mistaken script could do).
 * Each run creates its buckets with Object Lock, under unique names, and removes them afterwards
 * (governance retentions with the bypass header, compliance ones once their few seconds are over).
 */
describe('S3 Object Lock (Ceph RGW unless S3_TEST_ENDPOINT is set)', () => {
  const target = inject('s3');
  let client: S3Client;
  let bucket: string;
  let governance: S3ObjectStorage;
  let compliance: S3ObjectStorage;
  const prefix = `lock-${randomBytes(4).toString('hex')}`;
  const key = (name: string) => `${prefix}/${name}`;
  const storageOf = (mode: 'governance' | 'compliance', options: { singlePutMaxBytes?: number } = {}) =>
    new S3ObjectStorage({ client, bucket, endpointLabel: target.endpoint, objectLock: mode, ...options });
  const head = (name: string, versionId?: string) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key(name), ...(versionId === undefined ? {} : { VersionId: versionId }) }));

  beforeAll(async () => {
    client = lockingClientFor(target);
    bucket = await createTestBucket(client);
    governance = storageOf('governance');
    compliance = storageOf('compliance');
    await governance.verifyObjectLock();
  });
  afterAll(async () => {
    if (bucket !== undefined) await removeTestBucket(client, bucket);
    client?.destroy();
  });

  describe('writes carry the lock', () => {
    it('a put with retainUntil is locked by the PutObject itself, in the storage mode; stat reports it', async () => {
      const until = new Date(Date.now() + 10 * MINUTE);
      await governance.put(key('invoice.pdf'), 'invoice', { retainUntil: until });
      const stored = await head('invoice.pdf');
      expect(stored.ObjectLockMode).toBe('GOVERNANCE');
      expect(stored.ObjectLockRetainUntilDate?.getTime()).toBe(until.getTime());
      expect((await governance.stat(key('invoice.pdf'))).lock).toEqual({ mode: 'governance', retainUntil: until, legalHold: false });
    });

    it('every write path is locked: multipart bytes, a long stream with and without its SHA-256, a copy (RGW 16 drops the headers of the last three)', async () => {
      const storage = storageOf('governance', { singlePutMaxBytes: 5 * MiB });
      const until = new Date(Date.now() + 10 * MINUTE);
      const long = bytesOf(6 * MiB);
      const { sha256 } = await storage.put(key('multipart-bytes'), long, { retainUntil: until, legalHold: true });
      await storage.put(key('stream'), streamOf(long), { retainUntil: until });
      await storage.put(key('stream-sha'), streamOf(long), { retainUntil: until, expectedSha256: sha256 });
      await storage.copy(key('multipart-bytes'), key('copied'));
      for (const name of ['multipart-bytes', 'stream', 'stream-sha', 'copied']) {
        const stored = await head(name);
        expect({ name, mode: stored.ObjectLockMode, until: stored.ObjectLockRetainUntilDate?.getTime() }).toEqual({ name, mode: 'GOVERNANCE', until: until.getTime() });
      }
      // The copy carries its source's hold over as well.
      expect((await head('copied')).ObjectLockLegalHoldStatus).toBe('ON');
      expect((await head('multipart-bytes')).ObjectLockLegalHoldStatus).toBe('ON');
      // The temporary object of the long stream left no version behind.
      expect(await versionsOf(client, bucket, '\\docstore-tmp/')).toEqual([]);
      await storage.setLegalHold(key('multipart-bytes'), false);
      await storage.setLegalHold(key('copied'), false);
    });

    it('a date already past locks nothing; no lock is asked of a storage with Object Lock off', async () => {
      await governance.put(key('expired'), 'x', { retainUntil: new Date(Date.now() - MINUTE) });
      expect((await head('expired')).ObjectLockMode).toBeUndefined();
      await governance.delete(key('expired'));
      const unlocked = new S3ObjectStorage({ client, bucket, endpointLabel: target.endpoint });
      expect(unlocked.capabilities.objectLock).toBe(false);
      expect(await codeOf(unlocked.put(key('refused'), 'x', { retainUntil: new Date(Date.now() + MINUTE) }))).toBe('storage.object_lock_unsupported');
      expect(await codeOf(unlocked.extendRetention(key('invoice.pdf'), new Date()))).toBe('storage.object_lock_unsupported');
      expect(await unlocked.exists(key('refused'))).toBe(false);
    });
  });

  describe('deletion', () => {
    it("a DeleteObject of a locked version with docstore's own credentials fails; without a version it only adds a delete marker", async () => {
      const until = new Date(Date.now() + 10 * MINUTE);
      await governance.put(key('locked'), 'locked content', { retainUntil: until });
      const [version] = await versionsOf(client, bucket, key('locked'));
      expect(await outcome(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key('locked'), VersionId: version?.versionId })))).toBe('AccessDenied 403');
      // A plain DeleteObject "succeeds" by hiding the object behind a delete marker; the locked version stays.
      expect(await outcome(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key('locked') })))).toBe('ok');
      expect((await versionsOf(client, bucket, key('locked'))).map((v) => v.deleteMarker).sort()).toEqual([false, true]);
      expect((await head('locked', version?.versionId)).ObjectLockRetainUntilDate?.getTime()).toBe(until.getTime());
    });

    it('the adapter removes every version, oldest first, and stops at a locked one with storage.object_locked: the content stays readable', async () => {
      const until = new Date(Date.now() + 10 * MINUTE);
      await governance.put(key('rotated'), 'first');
      await governance.put(key('rotated'), 'second, locked', { retainUntil: until });
      await governance.put(key('rotated'), 'third');
      const error = await governance.delete(key('rotated')).catch((caught: unknown) => caught);
      expect(isStorageError(error) ? { code: error.code, retainUntil: error.context.retainUntil } : error).toEqual({ code: 'storage.object_locked', retainUntil: until.toISOString() });
      // The oldest version went; the locked one stopped the removal before the current one.
      expect(await versionsOf(client, bucket, key('rotated'))).toHaveLength(2);
      expect((await readAll((await governance.get(key('rotated'))).body)).toString()).toBe('third');
    });

    it('an unlocked key goes with all its versions, delete markers included: nothing is left to bill', async () => {
      await governance.put(key('plain'), 'one');
      await governance.put(key('plain'), 'two');
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key('plain') }));
      await governance.put(key('plain'), 'three');
      await governance.delete(key('plain'));
      expect(await versionsOf(client, bucket, key('plain'))).toEqual([]);
      await governance.delete(key('plain'));
    });

    it('deleteMany reports a locked key as storage.object_locked and removes the others', async () => {
      await governance.put(key('batch/free'), 'free');
      await governance.put(key('batch/held'), 'held', { legalHold: true });
      const result = await governance.deleteMany([key('batch/free'), key('batch/held')]);
      expect(result.deleted).toEqual([key('batch/free')]);
      expect(result.failed.map((failure) => [failure.key, failure.code])).toEqual([[key('batch/held'), 'storage.object_locked']]);
      await governance.setLegalHold(key('batch/held'), false);
      expect(await governance.deleteMany([key('batch/held')])).toEqual({ deleted: [key('batch/held')], failed: [] });
      expect(await versionsOf(client, bucket, key('batch/held'))).toEqual([]);
    });

    it('a document whose retention has ended is really purged: every version goes', async () => {
      // RGW refuses a retain-until date in the past, so the lock is set two seconds ahead and the
      // removal retried until the server no longer refuses it (what a purge does the day after).
      await governance.put(key('ended'), 'old', { retainUntil: new Date(Date.now() + 2_000) });
      await governance.put(key('ended'), 'new', { retainUntil: new Date(Date.now() + 2_000) });
      let refusals = 0;
      for (;;) {
        const error = await governance.delete(key('ended')).catch((caught: unknown) => caught);
        if (error === undefined) break;
        expect(isStorageError(error) && error.code).toBe('storage.object_locked');
        refusals++;
        expect(refusals, 'still locked 20 s after its date').toBeLessThan(100);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(await versionsOf(client, bucket, key('ended'))).toEqual([]);
    });
  });

  describe('governance bypass', () => {
    it('needs the explicit header: without it nobody deletes a governance-locked version; with it the bucket owner does', async () => {
      await governance.put(key('governed'), 'g', { retainUntil: new Date(Date.now() + 10 * MINUTE) });
      const [version] = await versionsOf(client, bucket, key('governed'));
      const request = { Bucket: bucket, Key: key('governed'), VersionId: version?.versionId };
      expect(await outcome(client.send(new DeleteObjectCommand(request)))).toBe('AccessDenied 403');
      expect(await outcome(client.send(new DeleteObjectCommand({ ...request, BypassGovernanceRetention: true })))).toBe('ok');
    });

    it('needs rights on the bucket: a user without them cannot bypass (Ceph RGW 16 does not check s3:BypassGovernanceRetention itself: see scripts/services/s3.sh)', async () => {
      if (target.otherAccessKeyId === undefined || target.otherSecretAccessKey === undefined) throw new Error('S3_TEST_OTHER_ACCESS_KEY is needed');
      await governance.put(key('other'), 'o', { retainUntil: new Date(Date.now() + 10 * MINUTE) });
      const [version] = await versionsOf(client, bucket, key('other'));
      const other = createS3Client({ endpoint: target.endpoint, region: target.region, accessKeyId: target.otherAccessKeyId, secretAccessKey: target.otherSecretAccessKey, forcePathStyle: target.forcePathStyle });
      try {
        const request = { Bucket: bucket, Key: key('other'), VersionId: version?.versionId, BypassGovernanceRetention: true };
        expect(await outcome(other.send(new DeleteObjectCommand(request)))).toBe('AccessDenied 403');
      } finally {
        other.destroy();
      }
    });

    it('is never sent by docstore: a governance lock stops its own delete', async () => {
      await governance.put(key('never-bypassed'), 'n', { retainUntil: new Date(Date.now() + 10 * MINUTE) });
      expect(await codeOf(governance.delete(key('never-bypassed')))).toBe('storage.object_locked');
    });
  });

  describe('legal hold', () => {
    it('blocks deletion whatever the retention, even with the bypass header; released, the object can go', async () => {
      await governance.put(key('held'), 'h');
      expect(await governance.setLegalHold(key('held'), true)).toEqual({ legalHold: true });
      const [version] = await versionsOf(client, bucket, key('held'));
      const request = { Bucket: bucket, Key: key('held'), VersionId: version?.versionId };
      expect(await outcome(client.send(new DeleteObjectCommand({ ...request, BypassGovernanceRetention: true })))).toBe('AccessDenied 403');
      const error = await governance.delete(key('held')).catch((caught: unknown) => caught);
      expect(isStorageError(error) ? { code: error.code, legalHold: error.context.legalHold } : error).toEqual({ code: 'storage.object_locked', legalHold: true });
      expect(await governance.setLegalHold(key('held'), false)).toEqual({ legalHold: false });
      await governance.delete(key('held'));
      expect(await versionsOf(client, bucket, key('held'))).toEqual([]);
    });

    it('applies to every version of the key', async () => {
      await governance.put(key('versions-held'), 'one');
      await governance.put(key('versions-held'), 'two');
      await governance.setLegalHold(key('versions-held'), true);
      for (const version of await versionsOf(client, bucket, key('versions-held'))) {
        expect((await head('versions-held', version.versionId)).ObjectLockLegalHoldStatus).toBe('ON');
      }
      await governance.setLegalHold(key('versions-held'), false);
      await governance.delete(key('versions-held'));
    });

    it('on a missing key: storage.not_found', async () => {
      expect(await codeOf(governance.setLegalHold(key('missing'), true))).toBe('storage.not_found');
      expect(await codeOf(governance.extendRetention(key('missing'), new Date(Date.now() + MINUTE)))).toBe('storage.not_found');
    });
  });

  describe('retention changes', () => {
    it('extending a retention extends the lock of every version; an earlier date leaves the later one', async () => {
      const first = new Date(Date.now() + 5 * MINUTE);
      const later = new Date(Date.now() + 20 * MINUTE);
      await governance.put(key('extended'), 'one', { retainUntil: first });
      await governance.put(key('extended'), 'two', { retainUntil: first });
      expect(await governance.extendRetention(key('extended'), later)).toEqual({ mode: 'governance', retainUntil: later, legalHold: false });
      for (const version of await versionsOf(client, bucket, key('extended'))) {
        expect((await head('extended', version.versionId)).ObjectLockRetainUntilDate?.getTime()).toBe(later.getTime());
      }
      expect((await governance.extendRetention(key('extended'), first)).retainUntil).toEqual(later);
      expect((await head('extended')).ObjectLockRetainUntilDate?.getTime()).toBe(later.getTime());
    });

    it('a governance lock cannot be shortened without the bypass header', async () => {
      const until = new Date(Date.now() + 20 * MINUTE);
      await governance.put(key('shorten-governance'), 's', { retainUntil: until });
      const [version] = await versionsOf(client, bucket, key('shorten-governance'));
      const request = { Bucket: bucket, Key: key('shorten-governance'), VersionId: version?.versionId, Retention: { Mode: 'GOVERNANCE' as const, RetainUntilDate: new Date(Date.now() + MINUTE) } };
      expect(await outcome(client.send(new PutObjectRetentionCommand(request)))).toBe('AccessDenied 403');
    });

    it('compliance: nobody shortens it, bypass or not, nor turns it into governance; extending works; deletion fails', async () => {
      // A few seconds only: nothing can remove a compliance-locked version earlier, not even this test's cleanup.
      const until = new Date(Date.now() + 4_000);
      await compliance.put(key('compliant'), 'c', { retainUntil: until });
      const [version] = await versionsOf(client, bucket, key('compliant'));
      const target = { Bucket: bucket, Key: key('compliant'), VersionId: version?.versionId };
      const shorter = { Mode: 'COMPLIANCE' as const, RetainUntilDate: new Date(until.getTime() - 2_000) };
      expect(await outcome(client.send(new PutObjectRetentionCommand({ ...target, Retention: shorter })))).toBe('AccessDenied 403');
      expect(await outcome(client.send(new PutObjectRetentionCommand({ ...target, Retention: shorter, BypassGovernanceRetention: true })))).toBe('AccessDenied 403');
      const governed = { Mode: 'GOVERNANCE' as const, RetainUntilDate: new Date(until.getTime() + 2_000) };
      expect(await outcome(client.send(new PutObjectRetentionCommand({ ...target, Retention: governed, BypassGovernanceRetention: true })))).toBe('AccessDenied 403');
      expect(await outcome(client.send(new DeleteObjectCommand({ ...target, BypassGovernanceRetention: true })))).toBe('AccessDenied 403');
      const extended = new Date(until.getTime() + 2_000);
      // A storage in governance mode keeps a version's compliance mode when it extends it.
      expect(await governance.extendRetention(key('compliant'), extended)).toEqual({ mode: 'compliance', retainUntil: extended, legalHold: false });
      const retention = await client.send(new GetObjectRetentionCommand(target));
      expect(retention.Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: extended });
    });
  });

  describe('rotation and encryption', () => {
    const keys = [masterKey('old'), masterKey('new')];
    const keyring = new MasterKeyring(keys, 'old');

    it('keys rotate writes a new version locked as the old one; the old version stays until its date', async () => {
      const until = new Date(Date.now() + 10 * MINUTE);
      const before = new EncryptingObjectStorage(governance, keyring);
      await before.put(key('encrypted'), 'secret', { retainUntil: until, legalHold: true });
      expect((await head('encrypted')).ObjectLockRetainUntilDate?.getTime()).toBe(until.getTime());
      const rotated = new MasterKeyring(keys, 'new');
      const after = new EncryptingObjectStorage(governance, rotated);
      expect(await after.rewrap(key('encrypted'))).toBe('rewrapped');
      const versions = await versionsOf(client, bucket, key('encrypted'));
      expect(versions).toHaveLength(2);
      for (const version of versions) {
        const stored = await head('encrypted', version.versionId);
        expect([stored.ObjectLockRetainUntilDate?.getTime(), stored.ObjectLockLegalHoldStatus]).toEqual([until.getTime(), 'ON']);
      }
      expect((await readAll((await after.get(key('encrypted'))).body)).toString()).toBe('secret');
      await governance.setLegalHold(key('encrypted'), false);
    });

    it('encrypt-existing of a locked plaintext object writes an encrypted version locked alike', async () => {
      const until = new Date(Date.now() + 10 * MINUTE);
      await governance.put(key('plaintext'), 'clear', { retainUntil: until });
      const encrypting = new EncryptingObjectStorage(governance, keyring);
      expect(await encrypting.encryptExisting(key('plaintext'))).toBe(true);
      const versions = await versionsOf(client, bucket, key('plaintext'));
      expect(versions).toHaveLength(2);
      expect((await head('plaintext')).ObjectLockRetainUntilDate?.getTime()).toBe(until.getTime());
      expect((await readAll((await encrypting.get(key('plaintext'))).body)).toString()).toBe('clear');
    });
  });

  describe('mirror', () => {
    it('carries the retain-until date and hold over to a destination with Object Lock, not to one without; a locked source is only read', async () => {
      // Seconds only: the destination's copy is under compliance, which not even the cleanup can lift.
      const until = new Date(Date.now() + 5_000);
      const source = new S3ObjectStorage({ client, bucket, keyPrefix: `${prefix}/mirror-source/`, objectLock: 'governance' });
      const locked = new S3ObjectStorage({ client, bucket, keyPrefix: `${prefix}/mirror-locked/`, objectLock: 'compliance' });
      const unlocked = new S3ObjectStorage({ client, bucket, keyPrefix: `${prefix}/mirror-unlocked/` });
      await source.put('retained.pdf', 'r', { retainUntil: until });
      await source.put('held.pdf', 'h', { legalHold: true });
      await source.put('free.pdf', 'f');
      expect((await mirror(source, locked)).copied).toBe(3);
      expect((await mirror(source, unlocked)).copied).toBe(3);
      expect((await locked.stat('retained.pdf')).lock).toEqual({ mode: 'compliance', retainUntil: until, legalHold: false });
      expect((await locked.stat('held.pdf')).lock).toEqual({ legalHold: true });
      expect((await locked.stat('free.pdf')).lock).toBeUndefined();
      for (const name of ['retained.pdf', 'held.pdf']) expect((await unlocked.stat(name)).lock).toBeUndefined();
      expect((await source.stat('retained.pdf')).lock?.retainUntil).toEqual(until);
      // What cannot be removed from the destination is reported, not forced.
      const summary = await mirror(new S3ObjectStorage({ client, bucket, keyPrefix: `${prefix}/mirror-empty/`, objectLock: 'governance' }), locked, { delete: true, maxDelete: 10 });
      expect(summary.errors.map((error) => [error.key, error.code])).toEqual([['held.pdf', 'storage.object_locked'], ['retained.pdf', 'storage.object_locked']]);
      await source.setLegalHold('held.pdf', false);
      await locked.setLegalHold('held.pdf', false);
    });
  });

  describe('mirror locations', () => {
    it('an s3:// location whose remote says DOCSTORE_REMOTE_<NAME>_OBJECT_LOCK has Object Lock, and is refused on a bucket without it', async () => {
      const remote = {
        DOCSTORE_REMOTE_VAULT_ENDPOINT: target.endpoint,
        DOCSTORE_REMOTE_VAULT_REGION: target.region,
        DOCSTORE_REMOTE_VAULT_ACCESS_KEY: target.accessKeyId,
        DOCSTORE_REMOTE_VAULT_SECRET_KEY: target.secretAccessKey,
        DOCSTORE_REMOTE_VAULT_PATH_STYLE: String(target.forcePathStyle),
        DOCSTORE_REMOTE_VAULT_OBJECT_LOCK: 'compliance',
      };
      const config = loadConfig({ DATA_DIR: tmpdir() });
      const location = await openLocation(`s3://vault@${bucket}/${prefix}/location`, config, 'destination', remote);
      try {
        expect(location.storage.capabilities.objectLock).toBe(true);
      } finally {
        await location.close();
      }
      const plain = await createTestBucket(client, { objectLock: false });
      try {
        expect(await codeOf(openLocation(`s3://vault@${plain}/x`, config, 'destination', remote))).toBe('storage.object_lock_not_enabled');
        const unlocked = await openLocation(`s3://vault@${plain}/x`, config, 'destination', { ...remote, DOCSTORE_REMOTE_VAULT_OBJECT_LOCK: 'off' });
        expect(unlocked.storage.capabilities.objectLock).toBe(false);
        await unlocked.close();
      } finally {
        await removeTestBucket(client, plain);
      }
    });
  });

  describe('start-up check', () => {
    it('refuses a bucket without Object Lock, naming S3_OBJECT_LOCK and the bucket', async () => {
      const plain = await createTestBucket(client, { objectLock: false });
      try {
        const storage = new S3ObjectStorage({ client, bucket: plain, objectLock: 'compliance' });
        const error = await storage.verifyObjectLock().catch((caught: unknown) => caught);
        expect(isStorageError(error) && error.code).toBe('storage.object_lock_not_enabled');
        expect((error as Error).message).toMatch(new RegExp(`^S3_OBJECT_LOCK=compliance but bucket ${plain} `));
      } finally {
        await removeTestBucket(client, plain);
      }
    });

    it('docstore refuses to start on it (exit 1, the code, the variable and the bucket); S3_CREATE_BUCKET creates a missing bucket with Object Lock', async () => {
      const plain = await createTestBucket(client, { objectLock: false });
      const dataDir = await mkdtemp(join(tmpdir(), 'docstore-lock-cli-'));
      const created = `docstore-lock-${randomBytes(6).toString('hex')}`;
      try {
        const env = { PATH: process.env.PATH, DATA_DIR: dataDir, ...s3EnvironmentOf(target, plain), S3_OBJECT_LOCK: 'compliance' };
        const refused = await runDocstore(['storage', 'check'], env, { timeoutMs: 60_000 });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`storage.object_lock_not_enabled: S3_OBJECT_LOCK=compliance but bucket ${plain} was created without Object Lock`);
        const fresh = await runDocstore(['storage', 'check'], { ...env, ...s3EnvironmentOf(target, created), S3_OBJECT_LOCK: 'governance', S3_CREATE_BUCKET: 'true' }, { timeoutMs: 60_000 });
        expect(fresh).toMatchObject({ code: 0, stdout: 'storage s3: ok\n' });
        const configuration = await client.send(new GetObjectLockConfigurationCommand({ Bucket: created }));
        expect(configuration.ObjectLockConfiguration?.ObjectLockEnabled).toBe('Enabled');
        // The check's probe object went with all its versions.
        expect((await client.send(new ListObjectVersionsCommand({ Bucket: created }))).Versions ?? []).toEqual([]);
      } finally {
        await removeTestBucket(client, plain);
        await removeTestBucket(client, created).catch((error: unknown) => {
          if ((error as { name?: string }).name !== 'NoSuchBucket') throw error;
        });
        await rm(dataDir, { recursive: true, force: true });
      }
    });

    it('refuses a bucket with a default retention rule (it would lock temporary objects too)', async () => {
      const ruled = await createTestBucket(client);
      try {
        await client.send(
          new PutObjectLockConfigurationCommand({
            Bucket: ruled,
            ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } },
          }),
        );
        const error = await new S3ObjectStorage({ client, bucket: ruled, objectLock: 'governance' }).verifyObjectLock().catch((caught: unknown) => caught);
        expect(isStorageError(error) ? [error.code, error.context.reason] : error).toEqual(['storage.object_lock_not_enabled', expect.stringContaining('default retention rule')]);
      } finally {
        await removeTestBucket(client, ruled);
      }
    });
  });
});
